"""The ledger in JSON (DESIGN §5: the field names are contract).

``status``, ``version`` and ``enforced`` are read-only everywhere: they
change only through :func:`wells.workflow.perform`, which the transition
endpoint calls with :class:`TransitionSerializer`'s fields."""

import copy
from collections.abc import Mapping

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from wells.choices import Action, AttachmentKind, InspectionResult, Status, Use
from wells.models import Attachment, Campaign, Inspection, Phase, Township, Well, WellEvent, is_overdue
from wells.workflow import TRACKED_FIELDS, check_version, perform

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
        read_only_fields = ["status", "version", "enforced"]

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

    def validate(self, attrs):
        if isinstance(self.initial_data, Mapping):
            lifecycle = sorted(set(TRACKED_FIELDS) & set(self.initial_data))
            if lifecycle:
                message = gettext("This changes only through a transition: POST /api/v1/wells/<code>/transitions/.")
                raise serializers.ValidationError({name: [message] for name in lifecycle})
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

    def update(self, instance, validated_data):
        expected = validated_data.pop("version", None)
        user = self.context["request"].user
        with transaction.atomic():
            well = Well.objects.select_for_update().get(pk=instance.pk)
            check_version(well, expected)
            for name, value in validated_data.items():
                setattr(well, name, value)
            well.version += 1
            well.save(update_fields=[*validated_data, "version", "updated_at"])
            # A change must not move the well out of its writer's reach.
            if not Well.objects.visible_to(user).filter(pk=well.pk).exists():
                raise PermissionDenied(gettext("This change would take the well out of your scope."))
        return well


class TransitionSerializer(serializers.Serializer):
    """An action on a well (DESIGN §3): the action, the version the client
    read, and the action's own fields, which the workflow checks."""

    action = serializers.ChoiceField(choices=Action.choices)
    version = serializers.IntegerField(min_value=1, max_value=MAX_VERSION)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    # notify
    notice_no = serializers.CharField(required=False, allow_blank=True, max_length=500)
    served_on = serializers.DateField(required=False)
    comply_by = serializers.DateField(required=False)
    # revoke_license
    revocation_no = serializers.CharField(required=False, allow_blank=True, max_length=500)
    revoked_on = serializers.DateField(required=False)
    # disconnect
    disconnected_on = serializers.DateField(required=False)
    # seal
    sealed_on = serializers.DateField(required=False)
    method = serializers.CharField(required=False, allow_blank=True, max_length=500)
    attachments = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=100,
        help_text=_("Ids of attachments already uploaded to the well; seal needs at least one photo."),
    )
    # accept
    accepted_on = serializers.DateField(required=False)
    inspectors = serializers.CharField(required=False, allow_blank=True, max_length=500)
    # retain, release, escalate, revert, reactivate
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)
    review_on = serializers.DateField(required=False)
    inspection = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)

    def action_data(self):
        """The action's fields, as the workflow takes them."""
        return {name: value for name, value in self.validated_data.items() if name not in {"action", "version"}}


class InspectionSerializer(serializers.ModelSerializer):
    """A visit to a well. Recording one that finds an accepted well in use
    reactivates the well in the same transaction."""

    well = KeyRelatedField(slug_field="code", queryset=Well.objects.none())

    class Meta:
        model = Inspection
        fields = ["id", "well", "inspected_on", "result", "lat", "lng", "note", "inspector_name", "created_at"]
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
        user = self.context["request"].user
        with transaction.atomic():
            inspection = Inspection.objects.create(inspector=user, inspector_name=str(user)[:150], **validated_data)
            well = inspection.well
            if inspection.result == InspectionResult.IN_USE and well.status == Status.ACCEPTED:
                reason = inspection.note or gettext("Found in use at the inspection of %(date)s.") % {
                    "date": inspection.inspected_on.isoformat()
                }
                perform(
                    well,
                    Action.REACTIVATE,
                    actor=user,
                    data={"reason": reason[:500], "inspection": inspection.pk},
                )
        return inspection


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


class SummarySerializer(serializers.Serializer):
    totals = CountsSerializer()
    units = UnitCountsSerializer(many=True)
