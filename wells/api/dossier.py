"""一井一档 in the API (DESIGN §5): ``GET /api/v1/wells/{code}/dossier.zip``,
the well's file streamed as a zip (:mod:`wells.dossier`)."""

from urllib.parse import quote

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.views import APIView

from accounts.choices import SEE_ALL_ROLES, Role
from wells.api.files import FileView, RolePermission, well_or_404
from wells.dossier import ZIP_CONTENT_TYPE, dossier_name, well_dossier

# Who may download files of wells: everyone who sees them whole, and the
# township officers for their own wells (their scope).
DOSSIER_ROLES = SEE_ALL_ROLES | {Role.TOWNSHIP_OFFICER}


def zip_response(chunks, filename):
    """A zip streamed as it is written, never held whole."""
    response = StreamingHttpResponse(chunks, content_type=ZIP_CONTENT_TYPE)
    response["Content-Disposition"] = _attachment(filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _attachment(filename):
    return f"attachment; filename=\"{quote(filename)}\"; filename*=UTF-8''{quote(filename)}"


class WellDossierView(FileView, APIView):
    permission_classes = [RolePermission]
    allowed_roles = DOSSIER_ROLES

    @extend_schema(
        operation_id="wells_dossier_zip",
        summary=gettext_lazy("The well's file (一井一档) as a zip"),
        description=gettext_lazy(
            "The well's card, its closure notice once served, its acceptance form once accepted, its history "
            "(CSV) and every attachment under a readable name. Bureau roles and leaders; township officers for "
            "their own wells; a well outside your scope answers 404."
        ),
        responses={
            (200, ZIP_CONTENT_TYPE): OpenApiTypes.BINARY,
            404: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("A well that is not in your scope.")),
        },
    )
    def get(self, request, code):
        well = well_or_404(request.user, code)
        return zip_response(well_dossier(well), dossier_name(well))
