"""The work ledger's API: tasks (and completing them), notifications,
milestones, the 回头看 due list, publicity records and groundwater readings.
Every list starts from the caller's scope."""

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import BUREAU_ROLES, Role
from tasks.api.serializers import (
    GroundwaterReadingSerializer,
    MarkedSerializer,
    MilestoneSerializer,
    MonitoringWellSerializer,
    NotificationListSerializer,
    PublicityRecordSerializer,
    TaskCompletionSerializer,
    TaskOverviewSerializer,
    TaskSerializer,
)
from tasks.filtersets import TaskFilterSet
from tasks.models import GroundwaterReading, MonitoringWell, Notification, PublicityRecord, Task
from tasks.services import complete_task, inspections_due, task_overview
from wells.api.pagination import KeysetPagination
from wells.api.schema import ErrorSerializer
from wells.api.serializers import WellSerializer
from wells.api.views import RoleMayWrite
from wells.models import Campaign, Phase, Well


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Tasks of the wells the caller sees; a member unit sees its own."""

    serializer_class = TaskSerializer
    queryset = Task.objects.none()
    filterset_class = TaskFilterSet
    pagination_class = KeysetPagination
    permission_classes = [RoleMayWrite]
    write_roles = {"complete": BUREAU_ROLES | {Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER}}

    def get_queryset(self):
        return (
            Task.objects.visible_to(self.request.user)
            .select_related("well", "unit")
            .prefetch_related("evidence")
            .order_by("due_on", "pk")
        )

    @extend_schema(
        summary=_("Complete a task"),
        description=_(
            "A lifecycle step (notify, revoke_license, disconnect, seal, accept) performs that action on the "
            "well with its fields; the replacement supply takes supply_connected_on and the ids of its evidence "
            "attachments. Send the well's version you read."
        ),
        request=TaskCompletionSerializer,
        responses={200: TaskSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        task = self.get_object()
        serializer = TaskCompletionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = complete_task(
            task, actor=request.user, data=serializer.action_data(), version=serializer.validated_data["version"]
        )
        return Response(TaskSerializer(self.get_queryset().get(pk=task.pk)).data)

    @extend_schema(summary=_("Open and overdue tasks per unit"), responses=TaskOverviewSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def overview(self, request):
        return Response(TaskOverviewSerializer(task_overview(self.get_queryset()), many=True).data)


class NotificationListView(GenericAPIView):
    """The caller's own in-app notifications: the newest 100 and the number
    unread."""

    serializer_class = NotificationListSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        return Notification.objects.filter(recipient=self.request.user).select_related("task__well")

    @extend_schema(summary=_("My notifications"))
    def get(self, request):
        notifications = self.get_queryset()
        body = {"unread": notifications.filter(read_at__isnull=True).count(), "results": notifications[:100]}
        return Response(NotificationListSerializer(body).data)


# A plain APIView: it takes no input, and a GenericAPIView without a
# serializer answered OPTIONS (which describes the input) with a 500.
class NotificationsReadView(APIView):
    """Marks every unread notification of the caller read."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(summary=_("Mark all my notifications read"), request=None, responses=MarkedSerializer)
    def post(self, request):
        marked = Notification.objects.filter(recipient=request.user, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        return Response({"marked": marked})


class MilestoneViewSet(mixins.ListModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """The campaign's phases with their deadlines and state; the bureau
    records when a phase was completed."""

    serializer_class = MilestoneSerializer
    permission_classes = [RoleMayWrite]
    write_roles = {"partial_update": BUREAU_ROLES, "update": BUREAU_ROLES}
    pagination_class = None
    http_method_names = ["get", "patch", "head", "options"]

    def get_queryset(self):
        phases = Phase.objects.filter(campaign__in=Campaign.objects.visible_to(self.request.user)).order_by(
            "campaign", "order"
        )
        campaign = campaign_param(self.request)
        if campaign is not None:
            phases = phases.filter(campaign_id=campaign)
        return phases


def campaign_param(request):
    """The optional ``campaign`` query parameter, a campaign's id (empty:
    every campaign); any other value is refused, never ignored."""
    campaign = request.query_params.get("campaign") or None
    if campaign is not None and not campaign.isdigit():
        raise ValidationError({"campaign": _("Give the campaign's id.")})
    return None if campaign is None else int(campaign)


class InspectionDueView(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Accepted wells whose post-closure inspection (回头看) is due, by
    code, a page at a time."""

    serializer_class = WellSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = KeysetPagination
    queryset = Well.objects.none()

    @extend_schema(parameters=[OpenApiParameter("campaign", int, required=False)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def get_queryset(self):
        wells = Well.objects.visible_to(self.request.user).select_related("township", "responsible_unit")
        campaign = campaign_param(self.request)
        if campaign is not None:
            wells = wells.filter(campaign_id=campaign)
        return inspections_due(wells).order_by("code")


class PublicityRecordViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Publicity work by unit. Everyone reads; the bureau records any
    unit's, a township or member unit its own."""

    serializer_class = PublicityRecordSerializer
    pagination_class = KeysetPagination
    permission_classes = [RoleMayWrite]
    write_roles = {"create": BUREAU_ROLES | {Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER}}

    def get_queryset(self):
        return PublicityRecord.objects.select_related("unit").order_by("-held_on", "-pk")

    def perform_create(self, serializer):
        user = self.request.user
        if user.role not in BUREAU_ROLES and serializer.validated_data["unit"].pk != user.unit_id:
            raise ValidationError({"unit": _("You may record publicity for your own unit only.")})
        serializer.save(recorded_by=user)


class MonitoringWellViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = MonitoringWellSerializer
    pagination_class = KeysetPagination
    permission_classes = [permissions.IsAuthenticated]
    queryset = MonitoringWell.objects.select_related("township").order_by("code")


class GroundwaterReadingViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    """Depth-to-water readings of the monitoring wells, oldest first, a page
    at a time; the bureau enters them."""

    serializer_class = GroundwaterReadingSerializer
    pagination_class = KeysetPagination
    permission_classes = [RoleMayWrite]
    write_roles = {"create": BUREAU_ROLES}
    queryset = GroundwaterReading.objects.select_related("monitoring_well").order_by("measured_on", "pk")
