"""The supervision API (DESIGN §8, contract paths): patrols with their
points and finish, tickets with their transitions, and the public's
reports. Thin views: querysets start from ``visible_to`` (out of scope is
404), the engines change the objects, and the ledger's one exception
handler answers their refusals."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import BUREAU_ROLES, Role
from supervision import patrols, public
from supervision.api.serializers import (
    PatrolDetailSerializer,
    PatrolFindingSerializer,
    PatrolFinishSerializer,
    PatrolPointsAnswerSerializer,
    PatrolPointsSerializer,
    PatrolSerializer,
    PatrolStartSerializer,
    PatrolWellSerializer,
    PublicReportSerializer,
    PublicTicketSerializer,
    TicketCreateSerializer,
    TicketDetailSerializer,
    TicketFileSerializer,
    TicketSerializer,
    TicketTransitionSerializer,
)
from supervision.choices import TICKET_OPENING_ROLES, TicketSource
from supervision.files import store_file
from supervision.filtersets import PatrolFilterSet, TicketFilterSet
from supervision.models import Patrol, PatrolWell, Ticket, TicketEvent
from supervision.workflow import TicketError, open_ticket, perform
from wells.api.pagination import KeysetPagination
from wells.api.views import RoleMayWrite
from wells.models import Well

# Who uploads a ticket's evidence: whoever may rectify it.
FILING_ROLES = BUREAU_ROLES | {Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER}


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List patrols")),
    retrieve=extend_schema(summary=gettext_lazy("One patrol with its track and the wells it passed")),
)
class PatrolViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The patrols the caller may see: the bureau's and leaders' all, an
    officer's those of their own unit."""

    filterset_class = PatrolFilterSet
    pagination_class = KeysetPagination
    permission_classes = [RoleMayWrite]
    write_roles = {
        "create": patrols.PATROLLING_ROLES,
        "points": patrols.PATROLLING_ROLES,
        "finish": patrols.PATROLLING_ROLES,
        "findings": patrols.PATROLLING_ROLES,
    }

    def get_queryset(self):
        queryset = Patrol.objects.visible_to(self.request.user).select_related("unit")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(Prefetch("wells", PatrolWell.objects.select_related("well")))
        return queryset

    def get_serializer_class(self):
        return PatrolDetailSerializer if self.action == "retrieve" else PatrolSerializer

    def answer(self, patrol, status_code=status.HTTP_200_OK):
        fresh = self.get_queryset().prefetch_related(Prefetch("wells", PatrolWell.objects.select_related("well")))
        return Response(PatrolDetailSerializer(fresh.get(pk=patrol.pk)).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Start a patrol (a township officer)"),
        request=PatrolStartSerializer,
        responses={201: PatrolDetailSerializer},
    )
    def create(self, request):
        serializer = PatrolStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patrol = patrols.start_patrol(actor=request.user, started_at=serializer.validated_data.get("started_at"))
        return self.answer(patrol, status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Add a batch of track points"),
        request=PatrolPointsSerializer,
        responses=PatrolPointsAnswerSerializer,
    )
    @action(detail=True, methods=["post"])
    def points(self, request, pk=None):
        patrol = self.get_object()
        serializer = PatrolPointsSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patrol, stored = patrols.add_points(patrol, serializer.validated_data["points"], actor=request.user)
        return Response({"stored": stored, "length_m": patrol.length_m, "duration_s": patrol.duration_s})

    @extend_schema(
        summary=gettext_lazy("Finish the patrol"), request=PatrolFinishSerializer, responses=PatrolDetailSerializer
    )
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        patrol = self.get_object()
        serializer = PatrolFinishSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        patrol = patrols.finish_patrol(patrol, actor=request.user, **serializer.validated_data)
        return self.answer(patrol)

    @extend_schema(
        summary=gettext_lazy("Record what was found at a well the patrol passed"),
        request=PatrolFindingSerializer,
        responses=PatrolWellSerializer,
    )
    @action(detail=True, methods=["post"])
    def findings(self, request, pk=None):
        patrol = self.get_object()
        serializer = PatrolFindingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        passed = patrols.record_finding(
            patrol,
            data["well"],
            actor=request.user,
            result=data["result"],
            note=data.get("note", ""),
            deadline=data.get("deadline"),
            version=data.get("version"),
        )
        return Response(PatrolWellSerializer(passed).data)


def with_events(tickets):
    return tickets.prefetch_related(Prefetch("events", TicketEvent.objects.order_by("pk")), "files")


@extend_schema_view(
    list=extend_schema(summary=gettext_lazy("List tickets (the problem ledger)")),
    retrieve=extend_schema(summary=gettext_lazy("One ticket with its events")),
)
class TicketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The tickets the caller may see: the bureau's and leaders' all; an
    officer's or a member unit's those assigned to their unit (and those
    they opened)."""

    filterset_class = TicketFilterSet
    pagination_class = KeysetPagination
    permission_classes = [RoleMayWrite]
    write_roles = {"create": TICKET_OPENING_ROLES, "transitions": FILING_ROLES, "files": FILING_ROLES}

    def get_queryset(self):
        tickets = Ticket.objects.visible_to(self.request.user).select_related("well", "unit")
        return with_events(tickets) if self.action == "retrieve" else tickets

    def get_serializer_class(self):
        return TicketDetailSerializer if self.action == "retrieve" else TicketSerializer

    def answer(self, ticket, status_code=status.HTTP_200_OK):
        fresh = with_events(self.get_queryset()).get(pk=ticket.pk)
        return Response(TicketDetailSerializer(fresh).data, status=status_code)

    @extend_schema(
        summary=gettext_lazy("Open a ticket by hand"),
        request=TicketCreateSerializer,
        responses={201: TicketDetailSerializer},
    )
    def create(self, request):
        serializer = TicketCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        well = None
        if data.get("well"):
            well = Well.objects.visible_to(request.user).filter(code=data["well"]).first()
            if well is None:
                raise ValidationError({"well": [_("No such well.")]})
        ticket = open_ticket(
            source=data["source"],
            actor=request.user,
            description=data["description"],
            well=well,
            lat=data.get("lat"),
            lng=data.get("lng"),
        )
        return self.answer(ticket, status.HTTP_201_CREATED)

    @extend_schema(
        summary=gettext_lazy("Take an action on a ticket"),
        description=gettext_lazy(
            "assign (unit, due_on), rectify (note, attachments), review_pass (reply), review_fail (reason), "
            "register_well (code, owner_name, owner_kind, township, responsible_unit, campaign), reply (reply); "
            "with the version you read (409 when stale)."
        ),
        request=TicketTransitionSerializer,
        responses=TicketDetailSerializer,
    )
    @action(detail=True, methods=["post"])
    def transitions(self, request, pk=None):
        ticket = self.get_object()
        serializer = TicketTransitionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        ticket = perform(ticket, data.pop("action"), actor=request.user, data=data, version=data.pop("version"))
        return self.answer(ticket)

    @extend_schema(summary=gettext_lazy("Upload a file of evidence to a ticket"), responses=TicketFileSerializer)
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def files(self, request, pk=None):
        ticket = self.get_object()
        upload = request.FILES.get("file")
        try:
            stored = store_file(upload, uploaded_by=request.user, ticket=ticket)
        except DjangoValidationError as error:
            raise ValidationError({"file": error.messages}) from None
        return Response(TicketFileSerializer(stored).data, status=status.HTTP_201_CREATED)


class PublicReportView(APIView):
    """``POST /api/v1/public/reports/`` without signing in (multipart
    ``description, lat, lng``, optional ``phone, well``, ``photo`` files) →
    201 ``{"tracking": …}``; 429 past the per-address limit."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        summary=gettext_lazy("Report a problem (no sign-in)"),
        request={"multipart/form-data": PublicReportSerializer},
        responses={201: {"type": "object", "properties": {"tracking": {"type": "string"}}}},
    )
    def post(self, request):
        serializer = PublicReportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            ticket = public.submit_report(request, serializer.validated_data, request.FILES.getlist("photo"))
        except public.TooManyReports as error:
            return Response({"detail": error.message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        except TicketError as error:
            body = {"detail": error.message, **({"field": error.field} if error.field else {})}
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return Response({"tracking": ticket.tracking}, status=status.HTTP_201_CREATED)


class PublicReportStatusView(APIView):
    """``GET /api/v1/public/reports/{tracking}/`` → ``{state, reply,
    created_at}`` and nothing about the reporter."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]

    @extend_schema(summary=gettext_lazy("Follow a public report"), responses=PublicTicketSerializer)
    def get(self, request, tracking):
        ticket = get_object_or_404(Ticket, tracking=tracking.upper(), source=TicketSource.PUBLIC)
        return Response(PublicTicketSerializer(ticket).data)
