"""The API's file endpoints (DESIGN §5), included from
``wellclosure/api_urls.py`` beside ``wells.api.urls``."""

from django.urls import path, re_path

from wells.api import dossier, files

urlpatterns = [
    path("imports/wells/", files.WellImportView.as_view(), name="import-wells"),
    path("imports/wells/template/", files.WellImportTemplateView.as_view(), name="import-wells-template"),
    path("imports/wells/errors/", files.WellImportErrorsView.as_view(), name="import-wells-errors"),
    path("exports/wells.xlsx", files.WellExportView.as_view(), name="export-wells"),
    path("wells/notices.docx", files.BatchNoticeView.as_view(), name="well-notices"),
    # Codes may hold any character but the slash that ends the segment.
    re_path(r"^wells/(?P<code>[^/]+)/notice\.docx$", files.WellNoticeView.as_view(), name="well-notice"),
    re_path(r"^wells/(?P<code>[^/]+)/acceptance\.docx$", files.WellAcceptanceView.as_view(), name="well-acceptance"),
    re_path(r"^wells/(?P<code>[^/]+)/dossier\.zip$", dossier.WellDossierView.as_view(), name="well-dossier"),
]
