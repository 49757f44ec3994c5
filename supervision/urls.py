from django.urls import path

from supervision import views

app_name = "supervision"

urlpatterns = [
    path("patrols/", views.patrol_list, name="patrols"),
    path("patrols/start/", views.patrol_start, name="patrol-start"),
    path("patrols/<int:pk>/", views.patrol_detail, name="patrol"),
    path("patrols/<int:pk>/findings/", views.patrol_finding, name="patrol-finding"),
    path("patrols/<int:pk>/photos/", views.patrol_photos, name="patrol-photos"),
    path("tickets/", views.ticket_list, name="tickets"),
    path("tickets/new/", views.ticket_new, name="ticket-new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/action/<str:action>/", views.ticket_action, name="ticket-action"),
    path("supervision/files/<int:pk>/", views.file_download, name="file"),
    # The public's pages, without signing in.
    path("report/", views.public_report, name="public-report"),
    path("report/well/<str:code>/", views.public_well, name="public-well"),
    path("report/<str:tracking>/", views.public_tracking, name="public-tracking"),
]
