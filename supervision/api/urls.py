from django.urls import path
from rest_framework.routers import SimpleRouter

from supervision.api import views

router = SimpleRouter()
router.register("patrols", views.PatrolViewSet, basename="patrol")
router.register("tickets", views.TicketViewSet, basename="ticket")

urlpatterns = [
    *router.urls,
    path("public/reports/", views.PublicReportView.as_view(), name="public-report"),
    path("public/reports/<str:tracking>/", views.PublicReportStatusView.as_view(), name="public-report-status"),
]
