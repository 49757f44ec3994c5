from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from tasks.models import GroundwaterReading, MonitoringWell, Notification, PublicityRecord, Task
from wells.api.serializers import KeyRelatedField, TransitionSerializer
from wells.models import Phase


class TaskSerializer(serializers.ModelSerializer):
    well = serializers.SlugRelatedField(slug_field="code", read_only=True)
    well_version = serializers.IntegerField(source="well.version", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    evidence = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "well",
            "well_version",
            "unit",
            "unit_name",
            "step",
            "due_on",
            "status",
            "overdue",
            "completed_at",
            "completed_by_name",
            "event",
            "evidence",
            "note",
        ]
        read_only_fields = fields


class TaskCompletionSerializer(TransitionSerializer):
    """Completing a task: the well's version as read, and the fields of the
    step's action (or, for the replacement supply, the connection date and
    the ids of its evidence)."""

    action = None
    supply_connected_on = serializers.DateField(required=False)


class NotificationSerializer(serializers.ModelSerializer):
    well = serializers.CharField(source="task.well.code", read_only=True, default=None)

    class Meta:
        model = Notification
        fields = ["id", "kind", "message", "task", "subject", "well", "sent_on", "created_at", "read_at"]
        read_only_fields = fields


class NotificationListSerializer(serializers.Serializer):
    unread = serializers.IntegerField()
    results = NotificationSerializer(many=True)


class MarkedSerializer(serializers.Serializer):
    marked = serializers.IntegerField()


class TaskOverviewSerializer(serializers.Serializer):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    total = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    done = serializers.IntegerField()


class PublicityRecordSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = PublicityRecord
        fields = ["id", "campaign", "unit", "unit_name", "kind", "count", "held_on", "note"]

    def validate_count(self, value):
        if value < 1:
            raise serializers.ValidationError(_("Count at least one."))
        return value


class MonitoringWellSerializer(serializers.ModelSerializer):
    township = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = MonitoringWell
        fields = ["id", "code", "name", "township", "lat", "lng"]


class GroundwaterReadingSerializer(serializers.ModelSerializer):
    # KeyRelatedField refuses NUL and overlong codes before the database sees them.
    monitoring_well = KeyRelatedField(slug_field="code", queryset=MonitoringWell.objects.all())

    class Meta:
        model = GroundwaterReading
        fields = ["id", "monitoring_well", "measured_on", "depth_to_water_m"]


class MilestoneSerializer(serializers.ModelSerializer):
    state = serializers.CharField(read_only=True)

    class Meta:
        model = Phase
        fields = ["id", "campaign", "order", "name", "deadline", "completed_on", "state", "description"]
        read_only_fields = ["id", "campaign", "order", "name", "deadline", "state", "description"]
