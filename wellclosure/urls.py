from django.contrib import admin
from django.urls import include, path

from wellclosure import offline
from wellclosure.views import home

urlpatterns = [
    path("", home, name="home"),
    # The installable web app (DESIGN §7, contract paths at the root: the
    # worker's scope is the directory it is served from).
    path("manifest.webmanifest", offline.manifest, name="manifest"),
    path("sw.js", offline.service_worker, name="service-worker"),
    path("queue/", offline.queue, name="offline-queue"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("wellclosure.api_urls")),
    path("accounts/", include("accounts.urls")),
    path("tasks/", include("tasks.urls")),
    path("", include("supervision.urls")),
    path("meters/", include("meters.urls")),
    path("", include("wells.urls")),
]
