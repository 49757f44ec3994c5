"""The ledger API (DESIGN §5). Thin views: the queryset starts from
``Well.objects.visible_to`` (out of scope is 404), one FilterSet filters,
the workflow changes states, and :mod:`wells.api.exceptions` turns its
refusals into 400/403/404/409."""

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.choices import BUREAU_ROLES, Role
from wellclosure.replica import ReplicaReadsMixin
from wells import tally
from wells.api.figures import FilteredFiguresMixin
from wells.api.pagination import HistoryPagination, KeysetPagination
from wells.api.schema import ErrorSerializer, LedgerAutoSchema
from wells.api.serializers import (
    WELL_LIST_COLUMNS,
    ArchiveSerializer,
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CampaignSerializer,
    InspectionSerializer,
    SummarySerializer,
    TownshipSerializer,
    TransitionSerializer,
    WellDetailSerializer,
    WellEventSerializer,
    WellHistorySerializer,
    WellSerializer,
    WellUpdateSerializer,
    well_list_rows,
)
from wells.changes import archive_well, restore_well
from wells.choices import ACTION_ROLES
from wells.figures import rolled_up
from wells.filtersets import InspectionFilterSet, WellFilterSet, ledger_wells
from wells.history import well_history
from wells.idempotency import idempotent
from wells.models import Attachment, Campaign, Inspection, Phase, Township, Well, WellEvent
from wells.scope import home_division
from wells.uploads import attachment_response, store_attachment
from wells.workflow import perform

logger = logging.getLogger(__name__)

# The roles that may take at least one action; the workflow decides which.
ACTING_ROLES = frozenset().union(*ACTION_ROLES.values())


class RoleMayWrite(permissions.BasePermission):
    """Reading needs a signed-in user; writing needs a role the view lists
    in ``write_roles`` for the action. On an object the check waits until
    the object is found in scope, so an outsider gets 404, never 403."""

    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if request.method in permissions.SAFE_METHODS or view.detail:
            return True
        return self.check_role(request, view)

    def has_object_permission(self, request, view, obj):
        if request.method in permissions.SAFE_METHODS:
            return True
        return self.check_role(request, view)

    def check_role(self, request, view):
        if request.user.role in view.write_roles.get(view.action, ()):
            return True
        raise PermissionDenied(_("Your role may not do this."))


CONFLICT = {409: ErrorSerializer}


def with_history(wells):
    """Wells with their events (in the order they happened: by id, as the
    workflow orders them) and attachments, in two queries whatever their
    number."""
    return wells.prefetch_related(Prefetch("events", queryset=WellEvent.objects.order_by("pk")), "attachments")


class WellListFilterSet(WellFilterSet):
    """The well list's filters: :class:`WellFilterSet`, with only the
    filters the query names copied and validated. The others, empty, would
    change nothing, and copying all eleven and building and cleaning a form
    of them cost about a millisecond a request."""

    _form_classes = {}

    def __init__(self, data=None, *args, **kwargs):
        # Each filter reads the query parameter of its own name (none of
        # these takes several), and FilterSet copies self.base_filters.
        if data is not None:
            self.base_filters = {name: filter_ for name, filter_ in self.base_filters.items() if name in data}
        super().__init__(data, *args, **kwargs)

    def get_form_class(self):
        names = tuple(self.filters)
        form_class = self._form_classes.get(names)
        if form_class is None:
            form_class = self._form_classes[names] = super().get_form_class()
        return form_class


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List wells"), responses=WellSerializer(many=True)),
    retrieve=extend_schema(summary=gettext_lazy("One well with its events and attachments")),
    create=extend_schema(summary=gettext_lazy("Add a well (bureau roles)")),
)
class WellViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """The wells the caller may see, by code."""

    lookup_field = "code"
    # Codes may hold any character but the slash that ends the segment.
    lookup_value_regex = "[^/]+"
    filterset_class = WellListFilterSet
    pagination_class = KeysetPagination
    permission_classes = [RoleMayWrite]
    write_roles = {
        "create": BUREAU_ROLES,
        "partial_update": BUREAU_ROLES | {Role.TOWNSHIP_OFFICER},
        "transitions": ACTING_ROLES,
        "attachments": ACTING_ROLES | {Role.UNIT_MEMBER},
        "archive": BUREAU_ROLES,
        "restore": BUREAU_ROLES,
    }

    def get_queryset(self):
        if self.action == "list":
            wells = ledger_wells(self.request.user, self.request.query_params)
        else:
            # A well's own address reaches it in the archive too (bureau
            # roles): to read it, its history, and to restore it.
            wells = Well.objects.visible_to(self.request.user, archived=None)
        wells = wells.select_related("township", "responsible_unit")
        return with_history(wells) if self.action == "retrieve" else wells

    def get_serializer_class(self):
        if self.action == "list":
            return WellSerializer
        if self.action == "partial_update":
            return WellUpdateSerializer
        return WellDetailSerializer

    def filter_queryset(self, queryset):
        # The list's filters are the list's: a detail URL names its well.
        if self.action != "list":
            return queryset
        # Without a filter in the query the FilterSet would change nothing,
        # and building its form costs more than the page's query.
        if self.request.query_params.keys().isdisjoint(self.filterset_class.base_filters):
            return queryset
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # Rows as values, written as WellSerializer writes wells: the same
        # JSON for a fraction of the time (see well_list_rows).
        wells = self.filter_queryset(self.get_queryset())
        rows = self.paginate_queryset(wells.values(*WELL_LIST_COLUMNS, *self.paginator.keyset_columns(wells)))
        return self.get_paginated_response(well_list_rows(rows))

    def get_object(self):
        # PostgreSQL cannot compare text holding NUL; no code holds one.
        if "\x00" in self.kwargs.get(self.lookup_field, ""):
            raise NotFound(_("No such well."))
        try:
            return super().get_object()
        except Http404:
            raise NotFound(_("No such well.")) from None

    def detail_response(self, well, status_code=status.HTTP_200_OK):
        """The well as GET shows it, read afresh after a change."""
        fresh = with_history(self.get_queryset()).get(pk=well.pk)
        return Response(WellDetailSerializer(fresh, context=self.get_serializer_context()).data, status=status_code)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        well = serializer.save()
        return self.detail_response(well, status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Change a well's facts"),
        description=gettext_lazy(
            "Bureau roles may change any fact; a township officer only responsible_person, lat, lng and "
            "note of their own wells. Never the lifecycle (status, version, …: transitions), the replacement "
            "supply (its task) or the archive (archive/restore). Send the version you read to have a stale "
            "change refused (409). Each change is one record of the well's history."
        ),
        responses={200: WellDetailSerializer, **CONFLICT},
    )
    @idempotent
    def partial_update(self, request, *args, **kwargs):
        well = self.get_object()
        serializer = WellUpdateSerializer(well, data=request.data, partial=True, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return self.detail_response(serializer.save())

    @extend_schema(
        summary=gettext_lazy("Take an action on a well"),
        description=gettext_lazy(
            "The action (notify, revoke_license, disconnect, seal, accept, retain, release, reactivate, "
            "escalate, revert), the version you read, and the action's fields. 400 with the reason when "
            "the action is refused, 403 when your role may not take it, 409 when the version is stale."
        ),
        request=TransitionSerializer,
        responses={200: WellDetailSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def transitions(self, request, code=None):
        well = self.get_object()
        serializer = TransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        well = perform(
            well,
            serializer.validated_data["action"],
            actor=request.user,
            data=serializer.action_data(),
            version=serializer.validated_data["version"],
        )
        return self.detail_response(well)

    @extend_schema(summary=gettext_lazy("The well's lifecycle events"), responses=WellEventSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None)
    def events(self, request, code=None):
        well = self.get_object()
        events = well.events.order_by("pk")
        return Response(WellEventSerializer(events, many=True).data)

    @extend_schema(
        summary=gettext_lazy("The well's history"),
        description=gettext_lazy(
            "Every change to the well, newest first: actions, facts, inspections, the replacement supply, "
            "archive and restore, import rows; each with who, when and {field: [before, after]}."
        ),
        responses=WellHistorySerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=HistoryPagination)
    def history(self, request, code=None):
        well = self.get_object()
        page = self.paginate_queryset(well_history(well))
        return self.get_paginated_response(WellHistorySerializer(page, many=True).data)

    @extend_schema(
        summary=gettext_lazy("Archive a well (bureau roles)"),
        description=gettext_lazy(
            "The well leaves every list, figure, export, report and task list and refuses every change; "
            "its open tasks are cancelled. Nothing is deleted."
        ),
        request=ArchiveSerializer,
        responses={200: WellDetailSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def archive(self, request, code=None):
        return self._archive_door(request, archive_well)

    @extend_schema(
        summary=gettext_lazy("Restore an archived well (bureau roles)"),
        request=ArchiveSerializer,
        responses={200: WellDetailSerializer, **CONFLICT},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, code=None):
        return self._archive_door(request, restore_well)

    def _archive_door(self, request, door):
        well = self.get_object()
        serializer = ArchiveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        well = door(well, actor=request.user, **serializer.validated_data)
        return self.detail_response(well)

    @extend_schema(
        methods=["GET"],
        summary=gettext_lazy("The well's attachments"),
        responses=AttachmentSerializer(many=True),
        request=None,
    )
    @extend_schema(
        methods=["POST"],
        summary=gettext_lazy("Upload evidence"),
        description=gettext_lazy(
            "A JPEG, PNG or PDF file (checked by its content) under the size limit, and its kind."
        ),
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer},
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[MultiPartParser, FormParser], pagination_class=None)
    @idempotent
    def attachments(self, request, code=None):
        well = self.get_object()
        if request.method == "GET":
            context = self.get_serializer_context()
            return Response(AttachmentSerializer(well.attachments.all(), many=True, context=context).data)
        upload = AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        try:
            attachment = store_attachment(
                well=well,
                kind=upload.validated_data["kind"],
                upload=upload.validated_data["file"],
                uploaded_by=request.user,
                claimed=upload.claimed(),
            )
        except DjangoValidationError as error:
            raise ValidationError({"file": error.messages}) from None
        data = AttachmentSerializer(attachment, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Download an attachment"),
        responses={
            (200, "image/jpeg"): OpenApiTypes.BINARY,
            (200, "image/png"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)", url_name="attachment")
    def attachment(self, request, code=None, attachment_id=None):
        well = self.get_object()
        try:
            attachment = well.attachments.get(pk=int(attachment_id))
        except (Attachment.DoesNotExist, ValueError, OverflowError):
            raise NotFound() from None
        return attachment_response(attachment)


class TownshipViewSet(viewsets.ReadOnlyModelViewSet):
    """The township and street areas the caller reads, by code: a bureau's
    those of its division and below, the others' those of their wells.
    Another bureau's townships are not among them (404)."""

    serializer_class = TownshipSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    pagination_class = None

    def get_queryset(self):
        return Township.objects.visible_to(self.request.user).order_by("code")

    def get_object(self):
        if "\x00" in self.kwargs.get(self.lookup_field, ""):
            raise NotFound()
        return super().get_object()


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    """Closure campaigns and their phases. Not secret."""

    queryset = Campaign.objects.prefetch_related(Prefetch("phases", queryset=Phase.objects.order_by("order")))

    def get_queryset(self):
        return super().get_queryset().visible_to(self.request.user)

    serializer_class = CampaignSerializer
    pagination_class = None


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("Inspections of the wells you may see")),
    create=extend_schema(
        summary=gettext_lazy("Record an inspection"),
        description=gettext_lazy("An inspection that finds an accepted well in use reactivates it."),
    ),
)
class InspectionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Inspections of the wells the caller may see."""

    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet
    pagination_class = KeysetPagination
    permission_classes = [RoleMayWrite]
    write_roles = {"create": BUREAU_ROLES | {Role.TOWNSHIP_OFFICER}}

    def get_queryset(self):
        wells = Well.objects.visible_to(self.request.user)
        return Inspection.objects.filter(well__in=wells).select_related("well")

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset
        return super().filter_queryset(queryset)

    @idempotent
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)


class SummarySchema(LedgerAutoSchema):
    # The summary is no list, but it takes the well list's filters.
    def get_filter_backends(self):
        return self.view.filter_backends


class SummaryView(ReplicaReadsMixin, FilteredFiguresMixin, GenericAPIView):
    """Totals and one row per responsible unit over the wells the caller may
    see, under the same filters as the well list (so the figures match the
    list's counts): summed from the well tally where it can answer, else
    counted from the wells (:func:`wells.tally.figures`)."""

    filterset_class = WellFilterSet
    schema = SummarySchema()

    def get_queryset(self):
        return ledger_wells(self.request.user, self.request.query_params)

    @extend_schema(summary=gettext_lazy("Completion summary"), responses={200: SummarySerializer})
    def get(self, request):
        filterset = self.valid_filterset()
        figures = tally.figures(filterset, request.user)
        totals, units = figures.summary()
        # The drill-down: the divisions below the one asked for (``division``),
        # else below the user's bureau's, else the regions.
        division = filterset.form.cleaned_data.get("division") or home_division(request.user)
        divisions = rolled_up(figures, division, totals)
        data = {"totals": totals, "units": units, "division": division, "divisions": divisions}
        return Response(SummarySerializer(data).data)
