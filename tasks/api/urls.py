from django.urls import path
from rest_framework.routers import SimpleRouter

from tasks.api import views

router = SimpleRouter()
router.register("tasks", views.TaskViewSet, basename="task")
router.register("milestones", views.MilestoneViewSet, basename="milestone")
router.register("inspections-due", views.InspectionDueView, basename="inspection-due")
router.register("publicity", views.PublicityRecordViewSet, basename="publicity")
router.register("monitoring-wells", views.MonitoringWellViewSet, basename="monitoring-well")
router.register("groundwater-readings", views.GroundwaterReadingViewSet, basename="groundwater-reading")

urlpatterns = [
    *router.urls,
    path("notifications/", views.NotificationListView.as_view(), name="notification-list"),
    path("notifications/mark-read/", views.NotificationsReadView.as_view(), name="notification-mark-read"),
]
