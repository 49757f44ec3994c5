"""The ledger's pages, mounted at the site's root. A well's own pages live
under ``well/<code>/``, apart from the lists under ``wells/``, so that no
well code can be mistaken for a list's name."""

from django.urls import path

from wells import views

app_name = "wells"

urlpatterns = [
    path("wells/", views.ledger, name="ledger"),
    path("wells/mine/", views.my_wells, name="mine"),
    path("wells/bulk/notify/", views.bulk, {"kind": "notify"}, name="bulk-notify"),
    path("wells/bulk/<str:kind>/", views.bulk, name="bulk"),
    path("wells/import/", views.well_import, name="import"),
    path("wells/import/confirm/", views.well_import_confirm, name="import-confirm"),
    path("wells/import/cancel/", views.well_import_cancel, name="import-cancel"),
    path("wells/import/errors.xlsx", views.well_import_errors, name="import-errors"),
    path("wells/import/preview.xlsx", views.well_import_preview, name="import-preview"),
    path("wells/attachments/<int:pk>/download/", views.attachment_download, name="attachment-download"),
    path("wells/attachments/<int:pk>/thumbnail/<str:size>/", views.attachment_thumbnail, name="attachment-thumbnail"),
    path("well/<str:code>/", views.well_detail, name="well"),
    path("well/<str:code>/action/<str:action>/", views.well_action, name="action"),
    path("well/<str:code>/inspection/", views.well_inspection, name="inspection"),
    path("well/<str:code>/facts/", views.well_facts, name="facts"),
    path("well/<str:code>/upload/", views.well_upload, name="upload"),
    path("well/<str:code>/label/", views.well_label, name="label"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
