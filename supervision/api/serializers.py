"""The supervision API's JSON (DESIGN §8, contract field names)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from supervision.choices import HAND_SOURCES, TicketAction
from supervision.models import Patrol, PatrolWell, SupervisionFile, Ticket, TicketEvent


class TicketSerializer(serializers.ModelSerializer):
    """A ticket: ``id, source, state, well`` (code or null) ``, unit,
    due_on, version, lat, lng, description`` (the contract), and more."""

    well = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Ticket
        fields = [
            "id",
            "tracking",
            "source",
            "state",
            "well",
            "unit",
            "unit_name",
            "due_on",
            "version",
            "lat",
            "lng",
            "description",
            "reply",
            "created_at",
        ]
        read_only_fields = fields


class TicketEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = TicketEvent
        fields = ["action", "from_state", "to_state", "actor_name", "created_at", "note", "data"]
        read_only_fields = fields


class TicketFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = SupervisionFile
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


class TicketDetailSerializer(TicketSerializer):
    events = TicketEventSerializer(many=True, read_only=True)
    files = TicketFileSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = [*TicketSerializer.Meta.fields, "events", "files"]
        read_only_fields = fields


class TicketCreateSerializer(serializers.Serializer):
    """A ticket opened by hand: by staff, from an inspection or a patrol."""

    source = serializers.ChoiceField(choices=[(s.value, s.label) for s in HAND_SOURCES], default="staff")
    description = serializers.CharField(max_length=2000)
    well = serializers.CharField(max_length=40, required=False, allow_blank=True)
    lat = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)
    lng = serializers.DecimalField(max_digits=9, decimal_places=6, required=False, allow_null=True)


class TicketTransitionSerializer(serializers.Serializer):
    """``{"action", "version", …the action's fields}``; the engine reads
    and checks the fields."""

    action = serializers.ChoiceField(choices=[(a.value, a.label) for a in TicketAction if a != TicketAction.OPEN])
    version = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    unit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    due_on = serializers.CharField(required=False, max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1), required=False, max_length=20
    )
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reply = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    code = serializers.CharField(required=False, max_length=40)
    owner_name = serializers.CharField(required=False, max_length=200)
    owner_kind = serializers.CharField(required=False, max_length=20)
    township = serializers.CharField(required=False, max_length=30)
    village = serializers.CharField(required=False, allow_blank=True, max_length=100)
    uses = serializers.ListField(child=serializers.CharField(max_length=20), required=False, max_length=6)
    responsible_unit = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)


class PatrolWellSerializer(serializers.ModelSerializer):
    well = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.CharField(source="well.status", read_only=True)
    lat = serializers.DecimalField(source="well.lat", max_digits=9, decimal_places=6, read_only=True)
    lng = serializers.DecimalField(source="well.lng", max_digits=9, decimal_places=6, read_only=True)

    class Meta:
        model = PatrolWell
        fields = ["well", "status", "lat", "lng", "distance_m", "result", "inspection"]
        read_only_fields = fields


class PatrolSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Patrol
        fields = [
            "id",
            "campaign",
            "unit",
            "unit_name",
            "patroller_name",
            "state",
            "started_at",
            "finished_at",
            "length_m",
            "duration_s",
            "counts",
            "note",
        ]
        read_only_fields = fields


class PatrolDetailSerializer(PatrolSerializer):
    wells = PatrolWellSerializer(many=True, read_only=True)
    track = serializers.SerializerMethodField()

    class Meta(PatrolSerializer.Meta):
        fields = [*PatrolSerializer.Meta.fields, "wells", "track"]
        read_only_fields = fields

    @extend_schema_field({"type": "array", "items": {"type": "array", "items": {"type": "number"}}})
    def get_track(self, patrol):
        return [[float(lat), float(lng)] for lat, lng in patrol.points.order_by("at").values_list("lat", "lng")]


class PatrolStartSerializer(serializers.Serializer):
    started_at = serializers.CharField(required=False, max_length=40)


class PatrolPointsSerializer(serializers.Serializer):
    points = serializers.ListField(child=serializers.DictField(), max_length=500)


class PatrolPointsAnswerSerializer(serializers.Serializer):
    stored = serializers.IntegerField(help_text="How many of the batch's points were new.")
    length_m = serializers.IntegerField()
    duration_s = serializers.IntegerField()


class PatrolFinishSerializer(serializers.Serializer):
    finished_at = serializers.CharField(required=False, max_length=40)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class PatrolFindingSerializer(serializers.Serializer):
    well = serializers.CharField(max_length=40)
    result = serializers.CharField(max_length=20)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    deadline = serializers.DateField(required=False)
    version = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)


class PublicReportSerializer(serializers.Serializer):
    """What the public may send (multipart): the files are ``photo``."""

    description = serializers.CharField(max_length=2000)
    lat = serializers.CharField(required=False, allow_blank=True, max_length=30)
    lng = serializers.CharField(required=False, allow_blank=True, max_length=30)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    well = serializers.CharField(required=False, allow_blank=True, max_length=40)
    website = serializers.CharField(required=False, allow_blank=True, max_length=200)


class PublicTicketSerializer(serializers.Serializer):
    """All the public reads of a report: nothing about the reporter."""

    state = serializers.CharField()
    reply = serializers.CharField()
    created_at = serializers.DateTimeField()
