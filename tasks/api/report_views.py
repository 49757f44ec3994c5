"""The work report in the API (DESIGN §5): ``GET
/api/v1/reports/work-report.docx?campaign=…&as_of=YYYY-MM-DD``, and the
campaign's archive, ``GET /api/v1/campaigns/{id}/archive.zip``."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from accounts.choices import SEE_ALL_ROLES
from tasks.archive import archive_name, campaign_archive
from tasks.reports import work_report, work_report_figures
from wellclosure.replica import ReplicaReadsMixin
from wells.api.dossier import DOSSIER_ROLES, zip_response
from wells.api.files import MAX_ID, FileView, RolePermission, default_campaign, file_response
from wells.document import DOCX_CONTENT_TYPE
from wells.dossier import ZIP_CONTENT_TYPE
from wells.models import Campaign, Well

# No ledger holds anything older; it also keeps "a year before" a real date.
EARLIEST_REPORT_DATE = datetime.date(2000, 1, 1)


def _printable_text(value, message):
    value = value.strip()
    if any(ord(character) < 32 for character in value):
        raise serializers.ValidationError(message)
    return value


class WorkReportQuerySerializer(serializers.Serializer):
    campaign = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("The campaign; by default the most recently issued one."),
    )
    as_of = serializers.DateField(
        required=False, help_text=gettext_lazy("The report's date, YYYY-MM-DD; today by default.")
    )
    area = serializers.CharField(
        required=False,
        max_length=50,
        help_text=gettext_lazy("Where the work is done, as the report names it; by default the lead unit's city."),
    )

    number = serializers.CharField(
        required=False,
        max_length=50,
        help_text=gettext_lazy("The report's document number (文号), when the bureau has given it one."),
    )
    to = serializers.CharField(
        required=False,
        max_length=100,
        help_text=gettext_lazy("Who the report is addressed to (主送); by default the government of its area."),
    )

    def validate_campaign(self, value):
        try:
            return Campaign.objects.visible_to(self.context["request"].user).select_related("lead_unit").get(pk=value)
        except Campaign.DoesNotExist:
            raise serializers.ValidationError(_("No such campaign.")) from None

    def validate_as_of(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(_("The report's date cannot be in the future."))
        if value < EARLIEST_REPORT_DATE:
            raise serializers.ValidationError(
                _("The report's date cannot be before %(date)s.") % {"date": EARLIEST_REPORT_DATE.isoformat()}
            )
        return value

    def validate_area(self, value):
        return _printable_text(value, _("Write the place's name."))

    def validate_number(self, value):
        return _printable_text(value, _("Write the document number as it is printed."))

    def validate_to(self, value):
        return _printable_text(value, _("Write the name of the office the report is addressed to."))

    def validate(self, attrs):
        if attrs.get("campaign") is None:
            attrs["campaign"] = default_campaign(self.context["request"].user)
            if attrs["campaign"] is None:
                raise serializers.ValidationError({"campaign": [_("There is no campaign yet.")]})
        attrs.setdefault("as_of", timezone.localdate())
        return attrs


class WorkReportView(ReplicaReadsMixin, FileView, APIView):
    """The work report of a campaign as of a date, for the bureau and the
    leaders (the roles that see every well)."""

    permission_classes = [RolePermission]
    allowed_roles = SEE_ALL_ROLES

    @extend_schema(
        operation_id="reports_work_report_docx",
        summary=gettext_lazy("The work report (Word)"),
        description=gettext_lazy(
            "The campaign's work report as of a date: wells to close, closed per category, completion rate, "
            "retained, publicity, inspections and revisits, reuse found, the groundwater level against a year "
            "before, a table per responsible unit and the overdue wells. Bureau roles and leaders."
        ),
        parameters=[WorkReportQuerySerializer],
        responses={
            (200, DOCX_CONTENT_TYPE): OpenApiTypes.BINARY,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("A parameter is not valid.")),
        },
    )
    def get(self, request):
        query = WorkReportQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        campaign, as_of = query.validated_data["campaign"], query.validated_data["as_of"]
        figures = work_report_figures(
            Well.objects.visible_to(request.user), campaign, as_of, area=query.validated_data.get("area")
        )
        handle = work_report(
            figures, number=query.validated_data.get("number", ""), addressed_to=query.validated_data.get("to", "")
        )
        return file_response(handle, f"取水井关停工作报告-{as_of.isoformat()}.docx", DOCX_CONTENT_TYPE)


class CampaignArchiveView(ReplicaReadsMixin, FileView, APIView):
    """Every well's file of a campaign with its work report and ledger, as
    one zip streamed as it is written."""

    permission_classes = [RolePermission]
    allowed_roles = DOSSIER_ROLES

    @extend_schema(
        operation_id="campaigns_archive_zip",
        parameters=[
            OpenApiParameter(
                "pk", OpenApiTypes.INT, OpenApiParameter.PATH, description=gettext_lazy("The campaign's id.")
            )
        ],
        summary=gettext_lazy("The campaign's archive (every well's file) as a zip"),
        description=gettext_lazy(
            "The work report and the ledger as of today, and a folder per well (一井一档) with its card, notice, "
            "acceptance form, history and attachments, streamed. It holds the wells you may see: all of them "
            "for bureau roles and leaders, a township officer's own wells."
        ),
        responses={
            (200, ZIP_CONTENT_TYPE): OpenApiTypes.BINARY,
            404: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("No such campaign.")),
        },
    )
    def get(self, request, pk):
        campaign = None
        if pk.isascii() and pk.isdigit() and 0 < int(pk) <= MAX_ID:
            campaign = Campaign.objects.visible_to(request.user).select_related("lead_unit").filter(pk=int(pk)).first()
        if campaign is None:
            raise NotFound(_("No such campaign."))
        chunks = campaign_archive(Well.objects.visible_to(request.user), campaign)
        return zip_response(chunks, archive_name(campaign, timezone.localdate()))
