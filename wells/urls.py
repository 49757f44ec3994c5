from django.urls import path

from wells import views

app_name = "wells"

urlpatterns = [
    path("attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
]
