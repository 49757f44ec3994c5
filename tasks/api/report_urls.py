"""The work report's and the campaign archive's addresses, included from ``wellclosure/api_urls.py``."""

from django.urls import path, re_path

from tasks.api.report_views import CampaignArchiveView, WorkReportView

urlpatterns = [
    path("reports/work-report.docx", WorkReportView.as_view(), name="work-report"),
    # Any segment, so that a malformed id answers 404 from the view instead
    # of a redirect to an address with a slash.
    re_path(r"^campaigns/(?P<pk>[^/]+)/archive\.zip$", CampaignArchiveView.as_view(), name="campaign-archive"),
]
