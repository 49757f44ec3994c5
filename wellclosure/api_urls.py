"""The API's root, /api/v1/ (DESIGN §5): the token endpoint, every app's
endpoints, and the OpenAPI schema with its documentation page, served from
this site's own static files (drf-spectacular-sidecar), never from a CDN."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

app_name = "api"


@csrf_exempt
def not_found(request, *args, **kwargs):
    """An API client gets JSON for an address that names nothing (a
    malformed id, say), as it does for an object out of its scope."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


urlpatterns = [
    path("", include("accounts.api.urls")),
    path("", include("wells.api.urls")),
    path("", include("wells.api.files_urls")),
    path("", include("tasks.api.report_urls")),
    path("", include("tasks.api.urls")),
    path("", include("supervision.api.urls")),
    path("", include("meters.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # Its script is served from its own address (?script), not inline: the
    # site's Content-Security-Policy runs no inline script. GET only: the
    # page renders through a template, which REST framework's OPTIONS
    # answer has none of (it was a 500).
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", http_method_names=["get", "head"]),
        name="docs",
    ),
    # Last, and only for paths ending in a slash, so that Django's
    # APPEND_SLASH still redirects /api/v1/wells to /api/v1/wells/.
    re_path(r"^.*/$", not_found),
]
