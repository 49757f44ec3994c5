"""The work report's address, included from ``wellclosure/api_urls.py``."""

from django.urls import path

from tasks.api.report_views import WorkReportView

urlpatterns = [
    path("reports/work-report.docx", WorkReportView.as_view(), name="work-report"),
]
