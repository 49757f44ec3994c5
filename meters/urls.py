from django.urls import path

from meters import views

app_name = "meters"

urlpatterns = [
    path("import/", views.import_readings, name="import"),
]
