from django.contrib import admin
from django.urls import include, path

from wellclosure.views import home

urlpatterns = [
    path("", home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("wellclosure.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("tasks/", include("tasks.urls")),
    path("", include("supervision.urls")),
    path("meters/", include("meters.urls")),
    path("", include("wells.urls")),
]
