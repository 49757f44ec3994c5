"""The work report's and the campaign archive's addresses, included from ``wellclosure/api_urls.py``."""

from django.urls import path

from tasks.api.report_views import CampaignArchiveView, WorkReportView

urlpatterns = [
    path("reports/work-report.docx", WorkReportView.as_view(), name="work-report"),
    path("campaigns/<int:pk>/archive.zip", CampaignArchiveView.as_view(), name="campaign-archive"),
]
