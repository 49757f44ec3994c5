"""The ledger in JSON (DESIGN §5: the field names are contract).

``status``, ``version`` and ``enforced`` are read-only everywhere: they
change only through :func:`wells.workflow.perform`, which the transition
endpoint calls with :class:`TransitionSerializer`'s fields."""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Unit
from wells.changes import (
    ARCHIVE_FIELDS,
    LIFECYCLE_FIELDS,
    SUPPLY_FIELDS,
    change_facts,
    create_well,
    record_inspection,
)
from wells.choices import (
    ACTION_FIELDS,
    ACTION_NOTE_MAX_LENGTH,
    ACTION_TEXT_MAX_LENGTH,
    Action,
    AttachmentKind,
    ChangeKind,
    FieldKind,
    Use,
)
from wells.figures import is_overdue
from wells.models import Attachment, Campaign, Inspection, Phase, Township, Well, WellEvent
from wells.photos import claimed_facts

# The largest primary key a BigAutoField holds: a bigger id is not one.
MAX_ID = 2**63 - 1
MAX_VERSION = 2**31 - 1

CONTRACT_FIELDS = [
    "code",
    "owner_name",
    "owner_kind",
    "township",
    "township_name",
    "village",
    "lat",
    "lng",
    "zone",
    "uses",
    "depth_m",
    "license_no",
    "meter_no",
    "responsible_unit",
    "responsible_unit_name",
    "responsible_person",
    "deadline",
    "campaign",
    "category",
    "status",
    "version",
    "enforced",
    "supply_connected_on",
    "overdue",
]


class KeyRelatedField(serializers.SlugRelatedField):
    """A related object named by its code. Text that no code can be (not a
    string, NUL characters, longer than any code) is refused before the
    database sees it: PostgreSQL cannot even compare text holding NUL."""

    max_key_length = 100

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        if "\x00" in data or len(data) > self.max_key_length:
            self.fail("does_not_exist", slug_name=self.slug_field, value=data[:40].replace("\x00", ""))
        return super().to_internal_value(data)


def _as_serializer_error(error):
    return serializers.ValidationError(serializers.as_serializer_error(error))


class TownshipSerializer(serializers.ModelSerializer):
    class Meta:
        model = Township
        fields = ["code", "name"]


class PhaseSerializer(serializers.ModelSerializer):
    class Meta:
        model = Phase
        fields = ["order", "name", "deadline"]


class CampaignSerializer(serializers.ModelSerializer):
    phases = PhaseSerializer(many=True, read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "notice_no", "issued_on", "deadline", "lead_unit", "phases"]


class WellEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = WellEvent
        fields = ["id", "action", "from_status", "to_status", "actor_name", "created_at", "note", "data"]


class WellHistorySerializer(serializers.Serializer):
    """One record of a well's history (DESIGN §3, contract fields)."""

    at = serializers.DateTimeField()
    actor = serializers.CharField()
    kind = serializers.ChoiceField(choices=ChangeKind.choices)
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2, allow_null=True),
        help_text=_("{field: [before, after]}"),
    )
    note = serializers.CharField(allow_blank=True)


class ArchiveSerializer(serializers.Serializer):
    """Archiving or restoring a well: the version read, and why."""

    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)
    reason = serializers.CharField(max_length=500)


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "kind",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_at",
            "download_url",
            # What a photo's EXIF says, and the warning when it was taken
            # far from the well or on another day (wells/photos.py).
            "exif_lat",
            "exif_lng",
            "exif_taken_at",
            "warning",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, attachment):
        url = reverse("api:well-attachment", kwargs={"code": attachment.well.code, "attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class AttachmentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text=_("A JPEG, PNG or PDF file; what it is is read from its content."))
    kind = serializers.ChoiceField(choices=AttachmentKind.choices)
    # What the phone read from the photo's EXIF before shrinking it (drawing
    # to a canvas drops EXIF): used where the stored file says nothing.
    exif_lat = serializers.FloatField(
        required=False, allow_null=True, help_text=_("The photo's EXIF latitude, read before the phone shrank it.")
    )
    exif_lng = serializers.FloatField(
        required=False, allow_null=True, help_text=_("The photo's EXIF longitude, read before the phone shrank it.")
    )
    exif_taken_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text=_("The photo's EXIF DateTimeOriginal, read before the phone shrank it."),
    )

    def claimed(self):
        """The photo facts sent beside the file, checked (or None)."""
        data = self.validated_data
        try:
            return claimed_facts(lat=data.get("exif_lat"), lng=data.get("exif_lng"), taken_at=data.get("exif_taken_at"))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict) from None


class WellSerializer(serializers.ModelSerializer):
    """A well in the list: the contract's fields and nothing more."""

    township = KeyRelatedField(slug_field="code", queryset=Township.objects.all(), allow_null=True, required=False)
    township_name = serializers.CharField(source="township.name", read_only=True, allow_null=True)
    responsible_unit_name = serializers.CharField(source="responsible_unit.name", read_only=True)
    uses = serializers.ListField(
        child=serializers.ChoiceField(choices=Use.choices), allow_empty=False, max_length=len(Use.choices)
    )
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Well
        fields = CONTRACT_FIELDS
        read_only_fields = ["status", "version", "enforced", "supply_connected_on"]

    def get_fields(self):
        fields = super().get_fields()
        # Another bureau's campaign, township or unit answers as one that
        # does not exist (and the door refuses them too).
        request = self.context.get("request")
        if request is None:
            return fields
        for name, model in (("campaign", Campaign), ("township", Township), ("responsible_unit", Unit)):
            if name in fields and not fields[name].read_only:
                fields[name].queryset = model.objects.visible_to(request.user)
        return fields

    def validate_code(self, value):
        # The code is the well's address in every URL: /api/v1/wells/<code>/.
        if "/" in value or value in {".", ".."}:
            raise serializers.ValidationError(gettext("A well code cannot contain “/” or be “.” or “..”."))
        return value


# The columns the well list reads (the page links add the primary key and
# the ordering's field: KeysetPagination.keyset_columns).
WELL_LIST_COLUMNS = (
    "code",
    "owner_name",
    "owner_kind",
    "township__code",
    "township__name",
    "village",
    "lat",
    "lng",
    "zone",
    "uses",
    "depth_m",
    "license_no",
    "meter_no",
    "responsible_unit_id",
    "responsible_unit__name",
    "responsible_person",
    "deadline",
    "campaign_id",
    "category",
    "status",
    "version",
    "enforced",
    "supply_connected_on",
)


def well_list_rows(rows):
    """The list's wells exactly as :class:`WellSerializer` writes them (the
    same keys in the same order, the same values once rendered), built from
    ``values(*WELL_LIST_COLUMNS)`` rows rather than model instances and 24
    serializer fields a well: at 50 wells a page the serializer cost several
    times the page's query (tests/api/test_well_list_rows.py compares the two).
    Decimals become floats here, as the JSON renderer turns the serializer's
    Decimals into floats (COERCE_DECIMAL_TO_STRING is off)."""
    today = timezone.localdate()
    return [
        {
            "code": row["code"],
            "owner_name": row["owner_name"],
            "owner_kind": row["owner_kind"],
            "township": row["township__code"],
            "township_name": row["township__name"],
            "village": row["village"],
            "lat": _number(row["lat"]),
            "lng": _number(row["lng"]),
            "zone": row["zone"],
            "uses": row["uses"],
            "depth_m": _number(row["depth_m"]),
            "license_no": row["license_no"],
            "meter_no": row["meter_no"],
            "responsible_unit": row["responsible_unit_id"],
            "responsible_unit_name": row["responsible_unit__name"],
            "responsible_person": row["responsible_person"],
            "deadline": _iso_date(row["deadline"]),
            "campaign": row["campaign_id"],
            "category": row["category"],
            "status": row["status"],
            "version": row["version"],
            "enforced": row["enforced"],
            "supply_connected_on": _iso_date(row["supply_connected_on"]),
            "overdue": is_overdue(row["status"], row["deadline"], today),
        }
        for row in rows
    ]


def _iso_date(value):
    return value.isoformat() if value else None


def _number(value):
    return None if value is None else float(value)


class WellDetailSerializer(WellSerializer):
    """One well with its history and evidence. Creating a well takes the
    same fields; it starts ``inventoried``."""

    events = WellEventSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(WellSerializer.Meta):
        fields = [
            *CONTRACT_FIELDS,
            "note",
            "comply_by",
            "review_on",
            "created_at",
            "updated_at",
            "events",
            "attachments",
        ]
        read_only_fields = [*WellSerializer.Meta.read_only_fields, "comply_by", "review_on"]

    # Fields a client may send that this door does not change: each refused
    # with where it does change, never silently ignored.
    refused_fields = LIFECYCLE_FIELDS | SUPPLY_FIELDS | ARCHIVE_FIELDS

    def validate(self, attrs):
        if isinstance(self.initial_data, Mapping):
            refused = sorted(self.refused_fields & set(self.initial_data))
            if refused:
                raise serializers.ValidationError({name: [_refusal(name)] for name in refused})
        # The model's own rules (latitude with longitude, a retained well's
        # reason), checked on the well as it would be after the change.
        candidate = copy.copy(self.instance) if self.instance is not None else Well()
        for name, value in attrs.items():
            setattr(candidate, name, value)
        try:
            candidate.clean()
        except DjangoValidationError as error:
            raise _as_serializer_error(error) from None
        return attrs

    def create(self, validated_data):
        return create_well(actor=self.context["request"].user, values=validated_data)


def _refusal(name):
    if name in SUPPLY_FIELDS:
        return gettext(
            "The replacement supply is recorded only through its task, with its evidence: "
            "POST /api/v1/tasks/<id>/complete/."
        )
    if name in ARCHIVE_FIELDS:
        return gettext("A well is archived and restored by POST /api/v1/wells/<code>/archive/ and …/restore/.")
    if name == "version":
        return gettext("A new well starts at version 1.")
    return gettext("This changes only through a transition: POST /api/v1/wells/<code>/transitions/.")


class WellUpdateSerializer(WellDetailSerializer):
    """A change to a well's facts (never its lifecycle). ``version`` is the
    version the client read: if someone changed the well since, the change is
    refused with 409 instead of overwriting theirs."""

    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        help_text=_("The version you read. If the well has changed since, the change is refused (409)."),
    )

    refused_fields = WellDetailSerializer.refused_fields - {"version"}

    def update(self, instance, validated_data):
        expected = validated_data.pop("version", None)
        return change_facts(instance, actor=self.context["request"].user, values=validated_data, version=expected)


class TransitionSerializer(serializers.Serializer):
    """An action on a well (DESIGN §3): the action, the version the client
    read, an optional note, and the action's own fields. Those are all
    optional here: the workflow decides what the action needs, and refuses
    in words a person reads."""

    action = serializers.ChoiceField(choices=Action.choices)
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)
    note = serializers.CharField(required=False, allow_blank=True, max_length=ACTION_NOTE_MAX_LENGTH)

    # The action fields are built from their declaration, ACTION_FIELDS. A
    # name several actions take (reason) is one field of the API, so it is
    # declared alike by each of them (tests/test_action_fields.py holds it).
    action_fields = {field.name: field for fields in ACTION_FIELDS.values() for field in fields}

    def get_fields(self):
        fields = super().get_fields()
        for name, field in self.action_fields.items():
            fields.setdefault(name, self.build_action_field(field))
        return fields

    @staticmethod
    def build_action_field(field):
        """The serializer field of one declared action field."""
        help_text = field.help_text or None
        match field.kind:
            case FieldKind.TEXT | FieldKind.REASON:
                return serializers.CharField(
                    required=False, allow_blank=True, max_length=ACTION_TEXT_MAX_LENGTH, help_text=help_text
                )
            case FieldKind.DATE | FieldKind.PLAN_DATE:
                return serializers.DateField(required=False, help_text=help_text)
            case FieldKind.ATTACHMENTS:
                return serializers.ListField(
                    child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
                    required=False,
                    max_length=100,
                    help_text=_("Ids of attachments already uploaded to the well; seal needs at least one photo."),
                )
            case FieldKind.INSPECTION:
                return serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID, help_text=help_text)
        raise ValueError(f"No serializer field for action fields of kind {field.kind!r}.")

    def action_data(self):
        """The action's fields, as the workflow takes them."""
        return {name: value for name, value in self.validated_data.items() if name not in {"action", "version"}}


class InspectionSerializer(serializers.ModelSerializer):
    """A visit to a well, recorded through its door
    (:func:`wells.changes.record_inspection`). One that finds an accepted
    well in use reactivates the well in the same transaction, with the new
    ``deadline`` of its next round of closure work."""

    well = KeyRelatedField(slug_field="code", queryset=Well.objects.none())
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        required=False,
        write_only=True,
        help_text=_("The version of the well you read. If it has changed since, the inspection is refused (409)."),
    )
    deadline = serializers.DateField(
        required=False,
        write_only=True,
        help_text=_("When the inspection finds an accepted well in use: the new deadline for closing it again."),
    )

    class Meta:
        model = Inspection
        fields = [
            "id",
            "well",
            "inspected_on",
            "result",
            "lat",
            "lng",
            "note",
            "inspector_name",
            "created_at",
            "version",
            "deadline",
        ]
        read_only_fields = ["inspector_name"]

    def get_fields(self):
        fields = super().get_fields()
        # Only wells in the writer's scope can be named; the others answer
        # exactly like codes that do not exist.
        request = self.context.get("request")
        fields["well"].queryset = Well.objects.visible_to(getattr(request, "user", None))
        return fields

    def validate_inspected_on(self, value):
        if value > timezone.localdate():
            raise serializers.ValidationError(gettext("The inspection date cannot be in the future."))
        return value

    def validate(self, attrs):
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            raise serializers.ValidationError(gettext("Give both latitude and longitude, or neither."))
        return attrs

    def create(self, validated_data):
        well = validated_data.pop("well")
        version = validated_data.pop("version", None)
        deadline = validated_data.pop("deadline", None)
        return record_inspection(
            well, actor=self.context["request"].user, values=validated_data, version=version, deadline=deadline
        )


class CountsSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    to_close = serializers.IntegerField(help_text=_("Wells minus retained wells."))
    retained = serializers.IntegerField()
    accepted = serializers.IntegerField()
    sealed = serializers.IntegerField()
    overdue = serializers.IntegerField()
    completion_rate = serializers.FloatField(
        allow_null=True, help_text=_("Accepted ÷ to close, 0 to 1; null when nothing is to be closed.")
    )


class UnitCountsSerializer(CountsSerializer):
    unit = serializers.IntegerField(source="responsible_unit_id")
    unit_name = serializers.CharField(source="responsible_unit__name")

    def get_fields(self):
        # The unit first, then its figures.
        fields = super().get_fields()
        return {name: fields.pop(name) for name in ("unit", "unit_name")} | fields


class DivisionSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The 12-digit statistical code."))
    path = serializers.CharField(help_text=_("The code's significant digits (65, 6523, 652301, 652301005)."))
    name = serializers.CharField()
    level = serializers.CharField(help_text=_("region, prefecture, county or township"))


class DivisionCountsSerializer(CountsSerializer):
    code = serializers.CharField(allow_null=True, help_text=_("null: wells outside the division or in none."))
    path = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)
    level = serializers.CharField(allow_null=True)

    def get_fields(self):
        # The division first, then its figures.
        fields = super().get_fields()
        return {name: fields.pop(name) for name in ("code", "path", "name", "level")} | fields


class SummarySerializer(serializers.Serializer):
    totals = CountsSerializer()
    units = UnitCountsSerializer(many=True)
    division = DivisionSerializer(
        allow_null=True, help_text=_("The division the rows below are the parts of (null: the regions).")
    )
    divisions = DivisionCountsSerializer(
        many=True, help_text=_("One row per division one level down; they sum to the totals.")
    )
