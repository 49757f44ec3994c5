"""The API's files (DESIGN §5): the inventory import and its template, the
ledger export, and the closure documents of wells. Thin views over
:mod:`wells.excel` and :mod:`wells.reports`.

A file answer is a file whatever the client's Accept header says; an error
is JSON like everywhere else in the API.
"""

from django.db.models import F
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import BUREAU_ROLES, Role
from wellclosure.replica import ReplicaReadsMixin
from wells.api.figures import FilteredFiguresMixin
from wells.api.schema import LedgerAutoSchema
from wells.excel import ImportFileError, error_workbook, export_wells, import_book, read_upload, template_workbook
from wells.filtersets import WellFilterSet, ledger_wells
from wells.models import Campaign, Well
from wells.reports import DOCX_CONTENT_TYPE, acceptance_form, closure_notice

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ID = 2**63 - 1
# Notices in one batch document, at most: a township's wells, not a city's.
MAX_BATCH = 200
CODE_MAX_LENGTH = Well._meta.get_field("code").max_length

XLSX_RESPONSE = {(200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY}
DOCX_RESPONSE = {(200, DOCX_CONTENT_TYPE): OpenApiTypes.BINARY}


class RolePermission(permissions.BasePermission):
    """Signed in, with one of the view's ``allowed_roles``."""

    message = gettext_lazy("Your role may not do this.")

    def has_permission(self, request, view):
        return request.user.is_authenticated and request.user.role in view.allowed_roles


class FileView:
    """Answers with a file; errors stay JSON whatever Accept says."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        renderer = JSONRenderer()
        return renderer, renderer.media_type


def file_response(handle, filename, content_type):
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def default_campaign(user):
    """The campaign imported wells join when the upload names none: the most
    recently issued one ``user`` reads (the only one, on most sites)."""
    return Campaign.objects.visible_to(user).order_by(F("issued_on").desc(nulls_last=True), "-pk").first()


# The import ---------------------------------------------------------------------


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,
        help_text=gettext_lazy(
            "The inventory as a workbook (.xlsx, .xlsm, .xls, .ods) or a CSV file (UTF-8 or GB18030/GBK), in "
            "the template's columns."
        ),
    )
    dry_run = serializers.BooleanField(
        default=False,
        help_text=gettext_lazy("true: check the file and say what would change, without writing anything."),
    )
    campaign = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text=gettext_lazy("The campaign new wells join; by default the most recently issued campaign."),
    )

    def validate_campaign(self, value):
        try:
            return Campaign.objects.visible_to(self.context["request"].user).get(pk=value)
        except Campaign.DoesNotExist:
            raise serializers.ValidationError(_("No such campaign.")) from None

    def validate(self, attrs):
        if attrs.get("campaign") is None:
            attrs["campaign"] = default_campaign(self.context["request"].user)
            if attrs["campaign"] is None:
                raise serializers.ValidationError({"campaign": [_("There is no campaign yet: create one first.")]})
        return attrs


class ImportErrorSerializer(serializers.Serializer):
    sheet = serializers.CharField(allow_null=True, help_text=gettext_lazy("The sheet's name (a CSV: the file's)."))
    row = serializers.IntegerField(
        allow_null=True, help_text=gettext_lazy("The row number the office program shows; null for a whole sheet.")
    )
    field = serializers.CharField(allow_null=True, help_text=gettext_lazy("The column's header, e.g. 经度."))
    message = serializers.CharField()


class ImportPreviewSerializer(serializers.Serializer):
    sheet = serializers.CharField()
    row = serializers.IntegerField()
    code = serializers.CharField(allow_null=True)
    action = serializers.ChoiceField(choices=["create", "update", "unchanged", "error"])
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2),
        help_text=gettext_lazy("{field: [before, after]}; a new well's before is null."),
    )


class ImportResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)
    warnings = ImportErrorSerializer(
        many=True, help_text=gettext_lazy("What was read but deserves a word; never blocks the import.")
    )
    rows = ImportPreviewSerializer(many=True, required=False, help_text=gettext_lazy("In a dry run only."))


IMPORT_DESCRIPTION = gettext_lazy(
    "Creates and updates wells from an inventory workbook (.xlsx, .xlsm, .xls, .ods) or CSV file, all or "
    "nothing; every sheet with the header row is imported, the others are named in the warnings. The header "
    "row (机井编码, 取水户名称, 取水户类型, 乡镇(街道), 村(社区), 经度, 纬度, 所在区域, 用途, 井深(米), "
    "取水许可证号, 电表号, 类别, 责任单位, 责任人, 限期, 备注) may sit under title rows. A code already in the "
    "ledger updates that well (never its status); an empty cell keeps the well's value. New wells join the "
    "campaign given, or the most recently issued one. A dry run answers, per row, what would happen and each "
    "field's before and after. Any bad row: 400 with every error by sheet, row and column, and nothing "
    "written. A file that cannot be read: 400 with detail. Bureau roles only."
)


class WellImportView(FileView, APIView):
    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [RolePermission]
    allowed_roles = BUREAU_ROLES

    @extend_schema(
        operation_id="imports_wells_create",
        summary=gettext_lazy("Import the well inventory from Excel"),
        description=IMPORT_DESCRIPTION,
        request={"multipart/form-data": ImportRequestSerializer},
        responses={200: ImportResultSerializer},
    )
    def post(self, request):
        form = ImportRequestSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        try:
            book = read_upload(form.validated_data["file"])
            result = import_book(
                book,
                campaign=form.validated_data["campaign"],
                actor=request.user,
                dry_run=form.validated_data["dry_run"],
            )
        except ImportFileError as error:
            return Response({"detail": error.message}, status=status.HTTP_400_BAD_REQUEST)
        answer = status.HTTP_400_BAD_REQUEST if result.errors else status.HTTP_200_OK
        return Response(result.as_dict(), status=answer)


class ImportErrorsRequestSerializer(ImportRequestSerializer):
    dry_run = None


class WellImportErrorsView(FileView, APIView):
    parser_classes = [MultiPartParser, FormParser]
    permission_classes = [RolePermission]
    allowed_roles = BUREAU_ROLES

    @extend_schema(
        operation_id="imports_wells_errors_create",
        summary=gettext_lazy("The uploaded workbook with its errors marked"),
        description=gettext_lazy(
            "Checks the workbook as the import does, writes nothing, and answers the same sheet with a column "
            "错误说明 that says what is wrong on each row. Bureau roles only."
        ),
        request={"multipart/form-data": ImportErrorsRequestSerializer},
        responses=XLSX_RESPONSE,
    )
    def post(self, request):
        form = ImportErrorsRequestSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        try:
            book = read_upload(form.validated_data["file"])
            result = import_book(book, campaign=form.validated_data["campaign"], actor=request.user, dry_run=True)
        except ImportFileError as error:
            return Response({"detail": error.message}, status=status.HTTP_400_BAD_REQUEST)
        return file_response(error_workbook(book.sheets, result.errors), "机井台账-错误说明.xlsx", XLSX_CONTENT_TYPE)


class WellImportTemplateView(FileView, APIView):
    permission_classes = [RolePermission]
    allowed_roles = BUREAU_ROLES

    @extend_schema(
        operation_id="imports_wells_template_retrieve",
        summary=gettext_lazy("The inventory import template"),
        description=gettext_lazy(
            "An Excel workbook with the header row, an example row, drop-down lists and instructions. "
            "Bureau roles only."
        ),
        responses=XLSX_RESPONSE,
    )
    def get(self, request):
        return file_response(template_workbook(request.user), "机井台账导入模板.xlsx", XLSX_CONTENT_TYPE)


# The export --------------------------------------------------------------------


class ExportSchema(LedgerAutoSchema):
    # No list, but it takes the well list's filters.
    def get_filter_backends(self):
        return self.view.filter_backends


class WellExportView(ReplicaReadsMixin, FileView, FilteredFiguresMixin, GenericAPIView):
    """The wells the caller may see, under the well list's filters, as an
    Excel workbook with a summary per responsible unit."""

    filterset_class = WellFilterSet
    schema = ExportSchema()

    def get_queryset(self):
        return ledger_wells(self.request.user, self.request.query_params)

    @extend_schema(
        operation_id="exports_wells_xlsx",
        summary=gettext_lazy("The ledger as an Excel workbook"),
        description=gettext_lazy(
            "Every well you may see under the well list's filters, with Chinese headers and labels, and a "
            "second sheet of figures per responsible unit."
        ),
        responses=XLSX_RESPONSE,
    )
    def get(self, request):
        wells, figures = self.filtered_wells_and_figures()
        totals, by_unit = figures.summary()
        if not wells.query.order_by:
            wells = wells.order_by("code")
        handle = export_wells(wells, by_unit, totals)
        filename = f"机井台账-{timezone.localdate().isoformat()}.xlsx"
        return file_response(handle, filename, XLSX_CONTENT_TYPE)


# Closure documents ---------------------------------------------------------------

DOCUMENT_ROLES = BUREAU_ROLES | {Role.TOWNSHIP_OFFICER}


def document_wells(user):
    return Well.objects.visible_to(user).select_related("township", "responsible_unit", "campaign")


def well_or_404(user, code):
    # PostgreSQL cannot compare text holding NUL; no code holds one.
    if "\x00" in code or len(code) > CODE_MAX_LENGTH:
        raise NotFound(_("No such well."))
    well = document_wells(user).filter(code=code).first()
    if well is None:
        raise NotFound(_("No such well."))
    return well


class WellNoticeView(FileView, APIView):
    permission_classes = [RolePermission]
    allowed_roles = DOCUMENT_ROLES

    @extend_schema(
        operation_id="wells_notice_docx",
        summary=gettext_lazy("The closure notice of a well (Word)"),
        description=gettext_lazy("Bureau roles, and township officers for their own wells."),
        responses=DOCX_RESPONSE,
    )
    def get(self, request, code):
        well = well_or_404(request.user, code)
        return file_response(closure_notice([well]), f"关停通知书-{well.code}.docx", DOCX_CONTENT_TYPE)


class WellAcceptanceView(FileView, APIView):
    permission_classes = [RolePermission]
    allowed_roles = DOCUMENT_ROLES

    @extend_schema(
        operation_id="wells_acceptance_docx",
        summary=gettext_lazy("The acceptance form of a well's closure (Word)"),
        description=gettext_lazy("Bureau roles, and township officers for their own wells."),
        responses=DOCX_RESPONSE,
    )
    def get(self, request, code):
        well = well_or_404(request.user, code)
        return file_response(acceptance_form(well), f"验收单-{well.code}.docx", DOCX_CONTENT_TYPE)


class BatchNoticeView(FileView, APIView):
    permission_classes = [RolePermission]
    allowed_roles = DOCUMENT_ROLES

    @extend_schema(
        operation_id="wells_notices_docx",
        summary=gettext_lazy("Closure notices of several wells in one Word document"),
        description=gettext_lazy(
            "One notice per well, in the order given, each on its own pages. Name the wells by code: "
            "code=A&code=B, or code=A,B. Bureau roles, and township officers for their own wells; a code "
            "that is unknown or outside your scope answers 404."
        ),
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                many=True,
                required=True,
                description=gettext_lazy("Well codes, repeated or separated by commas (200 at most)."),
            )
        ],
        responses={
            **DOCX_RESPONSE,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("No codes, or too many.")),
            404: OpenApiResponse(OpenApiTypes.OBJECT, description=gettext_lazy("A well that is not in your scope.")),
        },
    )
    def get(self, request):
        codes = []
        for value in request.query_params.getlist("code"):
            for code in value.split(","):
                code = code.strip()
                if code and code not in codes:
                    codes.append(code)
        if not codes:
            raise ValidationError({"code": [_("Name at least one well.")]})
        if len(codes) > MAX_BATCH:
            raise ValidationError({"code": [_("At most %(max)s wells in one document.") % {"max": MAX_BATCH}]})
        if any("\x00" in code or len(code) > CODE_MAX_LENGTH for code in codes):
            raise NotFound(_("No such well."))
        found = {well.code: well for well in document_wells(request.user).filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise NotFound(_("No such well: %(codes)s.") % {"codes": ", ".join(missing[:10])})
        wells = [found[code] for code in codes]
        return file_response(closure_notice(wells), "关停通知书.docx", DOCX_CONTENT_TYPE)
