from django.urls import path

from meters.api import views

urlpatterns = [
    path("meter-readings/", views.MeterReadingsView.as_view(), name="meter-readings"),
    path("wells/<str:code>/consumption/", views.WellConsumptionView.as_view(), name="well-consumption"),
]
