from django.urls import path
from rest_framework.routers import SimpleRouter

from wells.api import views

# SimpleRouter: no format suffixes, since a well code may contain a dot.
router = SimpleRouter()
router.register("wells", views.WellViewSet, basename="well")
router.register("townships", views.TownshipViewSet, basename="township")
router.register("campaigns", views.CampaignViewSet, basename="campaign")
router.register("inspections", views.InspectionViewSet, basename="inspection")

urlpatterns = [
    *router.urls,
    path("stats/summary/", views.SummaryView.as_view(), name="stats-summary"),
]
