import hashlib
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Case, Count, Exists, Func, OuterRef, Q, Sum, Value, When
from django.db.models.functions import Coalesce, Upper
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import Division, Unit
from wellclosure.history import tracked
from wellclosure.validators import clean_file_name, date_in_range, no_control_characters
from wells.choices import (
    SETTLED_STATUSES,
    Action,
    AttachmentKind,
    Category,
    ChangeKind,
    InspectionResult,
    OwnerKind,
    Status,
    Use,
    Zone,
)
from wells.fields import MultipleChoiceTextField
from wells.figures import LedgerFigures, is_overdue, overdue_q
from wells.scope import ScopedQuerySet, campaigns_reached_by, holding_wells, townships_reached

# China's bounding box in WGS84: a point outside it is a typo (swapped
# latitude and longitude, a missing digit), not a well.
CHINA_LAT = (Decimal("18"), Decimal("54"))
CHINA_LNG = (Decimal("73"), Decimal("135"))


def latitude_field():
    """A WGS84 latitude inside China's bounding box, or none (a well, an
    inspection, a monitoring well: one definition for all)."""
    return models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(CHINA_LAT[0]), MaxValueValidator(CHINA_LAT[1])],
    )


def longitude_field():
    """A WGS84 longitude inside China's bounding box, or none."""
    return models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(CHINA_LNG[0]), MaxValueValidator(CHINA_LNG[1])],
    )


class TownshipQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The townships ``user`` reads (wells.scope); none without a role."""
        if getattr(user, "role", None) is None:
            return self.none()
        return townships_reached(self, user)


class TownshipManager(models.Manager.from_queryset(TownshipQuerySet)):
    def get_by_natural_key(self, code):
        return self.get(code=code)


class Township(models.Model):
    """A township (乡镇) or street (街道) area: where a well lies."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=50, unique=True, validators=[no_control_characters])
    government = models.ForeignKey(
        Unit,
        verbose_name=_("government"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="townships",
        help_text=_("The township or street government that answers for this area."),
    )
    # The township as an administrative division (its 12-digit code): the
    # figures roll up from it to the county, the prefecture and the region.
    division = models.OneToOneField(
        Division,
        verbose_name=_("administrative division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="township",
        limit_choices_to={"level": "township"},
    )

    objects = TownshipManager()

    class Meta:
        verbose_name = _("township or street")
        verbose_name_plural = _("townships and streets")
        ordering = ["code"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.code,)


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The campaigns ``user`` reads: bureau roles and leaders those of
        their bureau's division and below (wells.scope); the others those
        of the wells they see."""
        if getattr(user, "role", None) is None:
            return self.none()
        if user.reads_bureau_subtree:
            return self.filter(pk__in=campaigns_reached_by(user).values("pk"))
        return self.filter(holding_wells(user, "campaign"))


class Campaign(models.Model):
    """A closure campaign: one government plan with its notice and deadline,
    run by one water bureau."""

    name = models.CharField(_("name"), max_length=200, validators=[no_control_characters])
    notice_no = models.CharField(_("notice number"), max_length=100, blank=True, validators=[no_control_characters])
    issued_on = models.DateField(_("issued on"), null=True, blank=True, validators=[date_in_range])
    deadline = models.DateField(_("deadline"), null=True, blank=True, validators=[date_in_range])
    lead_unit = models.ForeignKey(
        Unit, verbose_name=_("lead unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The water bureau whose campaign it is: its division decides who reads
    # the campaign's wells (wells.scope), the bureau's and those above it.
    bureau = models.ForeignKey(
        Unit,
        verbose_name=_("bureau"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        limit_choices_to={"kind": "bureau"},
        help_text=_("The water bureau that runs the campaign: its staff and those of the bureaus above it see it."),
    )
    # The plan as its documents cite it, in 书名号 (the name is the ledger's).
    plan_title = models.CharField(
        _("plan title"),
        max_length=200,
        blank=True,
        validators=[no_control_characters],
        help_text=_("The plan's title as it was issued, e.g. 昌吉市2022年地下水禁采区36眼机电井关停方案."),
    )
    # The closure notices' numbers (昌水关〔2023〕第12号): the prefix the
    # bureau writes, and the last number given, counted up by the notify
    # door (wells.workflow) under the campaign row's lock.
    notice_prefix = models.CharField(
        _("notice number prefix"),
        max_length=30,
        blank=True,
        validators=[no_control_characters],
        help_text=_("The closure notices' numbers start with it, e.g. 昌水关 for 昌水关〔2023〕第12号."),
    )
    last_notice_number = models.PositiveIntegerField(_("last notice number"), default=0, editable=False)
    # Who the bureau's documents are addressed to and how the owner reaches it.
    contact = models.CharField(
        _("contact"),
        max_length=100,
        blank=True,
        validators=[no_control_characters],
        help_text=_("Printed on the closure notice, e.g. 水资源科 0994-2345678."),
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-issued_on", "name"]

    def __str__(self):
        return self.name

    @property
    def cited_plan(self):
        """The plan as a document cites it: 《title》（文号）."""
        cited = f"《{self.plan_title or self.name}》"
        return cited + (f"（{self.notice_no}）" if self.notice_no else "")


class Phase(models.Model):
    """A phase of a campaign's plan (体系建立, 宣传动员, …) and its deadline."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="phases")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=50, validators=[no_control_characters])
    deadline = models.DateField(_("deadline"), validators=[date_in_range])
    description = models.TextField(_("description"), blank=True, validators=[no_control_characters])
    completed_on = models.DateField(_("completed on"), null=True, blank=True, validators=[date_in_range])

    class Meta:
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        ordering = ["campaign", "order"]
        constraints = [models.UniqueConstraint(fields=["campaign", "order"], name="phase_order_unique_per_campaign")]

    def __str__(self):
        return self.name

    @property
    def state(self):
        """``done``, ``overdue`` or ``pending``, for the milestone list."""
        if self.completed_on:
            return "done"
        return "overdue" if self.deadline < timezone.localdate() else "pending"


def settled_last():
    """1 for a settled well (accepted, retained), 0 for one still to close:
    the first key of 我的机井's order. Sorted, so that the SQL is the same in
    every process and matches its index."""
    return Case(
        When(status__in=sorted(SETTLED_STATUSES), then=Value(1)), default=Value(0), output_field=models.IntegerField()
    )


class WellQuerySet(LedgerFigures, ScopedQuerySet):
    def in_archive(self, archived):
        if archived is None:
            return self
        return self.filter(archived_at__isnull=not archived)

    def not_overdue(self, today=None):
        # NOT EXISTS, which PostgreSQL plans as an anti-join, rather than
        # NOT IN (subquery), which it cannot: 900 ms at a million wells.
        return self.exclude(Exists(Well.objects.overdue(today).filter(pk=OuterRef("pk"))))

    def with_use(self, use):
        return self.filter(uses__contains=f",{use},")

    def well_count(self, condition=None):
        # COUNT(*), not COUNT(id), where it can: an index without the id
        # answers it (Django takes no condition with the star).
        return Count("*") if condition is None else Count("pk", filter=condition)

    def located(self):
        return {"located": Count("lat"), "lat_sum": Sum("lat"), "lng_sum": Sum("lng")}


# The columns the well search ``q`` looks in, with the short names of their
# indexes.
SEARCHED_FIELDS = (("code", "code"), ("owner_name", "owner"), ("village", "village"))


def tripled_upper(field):
    """UPPER(field) with every character written three times (王英 → 王王王英英英).

    A trigram index finds ``LIKE '%term%'`` only for terms of three or more
    characters, and Chinese names and villages are often searched by two.
    Tripled, a term of one or two characters has trigrams of its own, and
    the tripled text holds the tripled term exactly when the text holds the
    term. PostgreSQL only (REGEXP_REPLACE); the well search uses it there."""
    return Func(
        Upper(field),
        Value("(.)"),
        Value(r"\1\1\1"),
        Value("g"),
        function="REGEXP_REPLACE",
        output_field=models.TextField(),
    )


@tracked("WellHistory")
class Well(models.Model):
    """A groundwater well (机井) in the ledger, and where it stands in its
    closure. ``status``, ``version`` and ``enforced`` change only through
    :func:`wells.workflow.perform`."""

    code = models.CharField(_("well code"), max_length=40, unique=True, validators=[no_control_characters])
    owner_name = models.CharField(_("owner"), max_length=200, validators=[no_control_characters])
    owner_kind = models.CharField(_("owner kind"), max_length=20, choices=OwnerKind.choices)
    township = models.ForeignKey(
        Township,
        verbose_name=_("township or street"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="wells",
    )
    village = models.CharField(
        _("village or community"), max_length=100, blank=True, validators=[no_control_characters]
    )
    lat = latitude_field()
    lng = longitude_field()
    zone = models.CharField(_("zone"), max_length=20, choices=Zone.choices, default=Zone.PROHIBITED)
    uses = MultipleChoiceTextField(_("uses"), choices=Use.choices)
    depth_m = models.DecimalField(
        _("depth (m)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("3000"))],
    )
    license_no = models.CharField(
        _("abstraction licence number"), max_length=100, blank=True, validators=[no_control_characters]
    )
    meter_no = models.CharField(
        _("electricity meter number"), max_length=100, blank=True, validators=[no_control_characters]
    )
    responsible_unit = models.ForeignKey(
        Unit, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="wells"
    )
    responsible_person = models.CharField(
        _("responsible person"), max_length=100, blank=True, validators=[no_control_characters]
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True, validators=[date_in_range])
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="wells")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INVENTORIED)
    version = models.PositiveIntegerField(_("version"), default=1)
    enforced = models.BooleanField(_("enforced closure"), default=False)
    comply_by = models.DateField(_("comply by"), null=True, blank=True)
    review_on = models.DateField(_("review on"), null=True, blank=True)
    supply_connected_on = models.DateField(
        _("replacement supply connected on"), null=True, blank=True, validators=[date_in_range]
    )
    # The date of the well's last acceptance, set and reverted with it by the
    # workflow (the event keeps it too): the dashboard's progress curve
    # counts accepted wells by it without reading their events.
    accepted_on = models.DateField(_("last accepted on"), null=True, blank=True, editable=False)
    note = models.TextField(_("note"), blank=True, validators=[no_control_characters])
    # A well is never deleted, whatever was wrong with it: a bureau
    # administrator archives it (empty: not archived), and its record and
    # history stay.
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = WellQuerySet.as_manager()

    class Meta:
        verbose_name = _("well")
        verbose_name_plural = _("wells")
        ordering = ["code"]
        # What the ledger's real queries use at a million wells (measured
        # with EXPLAIN ANALYZE, docs/benchmarks.md): each ordering of the
        # list with the primary key that breaks its ties, the filters whose
        # wells cluster in the code order (a township's codes share a
        # prefix), the officer's scope by status and deadline, the
        # dashboard's per-campaign figures and overdue list.
        indexes = [
            models.Index(fields=["responsible_unit", "status", "deadline"], name="well_unit_status_deadline"),
            # With the acceptance date, the progress curve of a campaign reads
            # the index alone.
            models.Index(fields=["campaign", "status", "accepted_on"], name="well_campaign_status_accepted"),
            # The status last, so that counting a campaign's overdue wells reads
            # the index alone (an INCLUDE column would do, but not on SQLite).
            models.Index(fields=["campaign", "deadline", "id", "status"], name="well_campaign_deadline"),
            models.Index(fields=["deadline", "id"], name="well_deadline_id"),
            models.Index(fields=["updated_at", "id"], name="well_updated_id"),
            models.Index(fields=["township", "code"], name="well_township_code"),
            models.Index(fields=["responsible_unit", "code"], name="well_unit_code"),
            # 我的机井's order (wells.views.my_wells), walked a page at a
            # time: a member unit's first page at a million wells 2.4 s → 2 ms.
            models.Index(
                settled_last(),
                # Ascending puts NULLs last on PostgreSQL, as the list does
                # (SQLite takes no NULLS LAST in an index).
                "deadline",
                "code",
                name="well_settled_deadline_code",
                condition=Q(archived_at__isnull=True),
            ),
            # The search ``q`` (icontains: UPPER(column) LIKE UPPER('%term%'))
            # through trigrams, and for terms of one or two characters through
            # trigrams of the tripled text (see tripled_upper). PostgreSQL
            # only: migration 0003 creates them when the database is
            # PostgreSQL (SQLite scans; it holds small ledgers).
            *[
                GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=f"well_{short}_trgm")
                for field, short in SEARCHED_FIELDS
            ],
            *[
                GinIndex(OpClass(tripled_upper(field), name="gin_trgm_ops"), name=f"well_{short}_x3_trgm")
                for field, short in SEARCHED_FIELDS
            ],
        ]

    def __str__(self):
        return f"{self.code} {self.owner_name}"

    def clean(self):
        if (self.lat is None) != (self.lng is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        if self.category == Category.RETAINED and Use.EMERGENCY not in self.uses and not self.note:
            # Retained wells are kept for a reason the ledger must show.
            raise ValidationError({"note": _("Say why a retained well is kept.")})

    @property
    def is_overdue(self):
        return is_overdue(self.status, self.deadline, timezone.localdate())

    @property
    def has_domestic_use(self):
        return Use.DOMESTIC in self.uses


class WellTallyQuerySet(LedgerFigures, ScopedQuerySet):
    def in_archive(self, archived):
        # The tally counts no archived well (its triggers leave them out).
        return self.none() if archived else self

    def of_member_unit(self, user):
        # The tally does not know which wells a unit's tasks touch: see
        # answers_for, which wells.tally.figures asks first.
        return self.none()

    def answers_for(self, user):
        """Whether the tally holds ``user``'s scope (all but a member unit's)."""
        return getattr(user, "role", None) != Role.UNIT_MEMBER

    def holding(self, column):
        """The values of ``column`` (e.g. ``"campaign_id"``) of the groups
        that hold a well: a subquery. The wells are summed per value, since
        a group not yet compacted may sum to none."""
        return self.order_by().values(column).annotate(held=Sum("wells")).filter(held__gt=0).values(column)

    def not_overdue(self, today=None):
        return self.exclude(overdue_q(today))

    def well_count(self, condition=None):
        return Coalesce(Sum("wells", filter=condition), 0)

    def located(self):
        return {
            "located": Coalesce(Sum("located"), 0),
            "lat_sum": Sum("lat_sum"),
            "lng_sum": Sum("lng_sum"),
        }


def _tally_key(to, verbose_name, **options):
    """A column the tally groups by that names a row elsewhere: no foreign
    key constraint, since triggers append to the tally (its indexes are
    the Meta's)."""
    return models.ForeignKey(
        to,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        verbose_name=verbose_name,
        **options,
    )


class WellTally(models.Model):
    """How many wells stand in each campaign, township, responsible unit,
    category, status and deadline: the ledger's figures kept by the
    database as the wells change, so that a summary of a million wells sums
    a few thousand rows instead of counting a million (docs/benchmarks.md).

    Written only by triggers on the wells table (migration 0005), which see
    every write — the workflow, the admin, imports, ``bulk_create``,
    ``QuerySet.update`` and raw SQL alike. Each write appends rows of
    differences (+1 where a well arrives, −1 where it leaves) instead of
    updating a counter, so that writers never wait for each other on a
    shared row; :func:`wells.tally.compact` folds them together (daily,
    from ``run_daily_jobs``). A group's figure is the sum of its rows.
    ``manage.py well_tally check`` compares it with a count of the wells."""

    campaign = _tally_key(Campaign, _("campaign"))
    township = _tally_key(Township, _("township or street"), null=True)
    responsible_unit = _tally_key(Unit, _("responsible unit"))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    deadline = models.DateField(_("deadline"), null=True)
    wells = models.IntegerField(_("wells"))
    located = models.IntegerField(_("wells with a position"))
    lat_sum = models.DecimalField(_("sum of latitudes"), max_digits=18, decimal_places=6)
    lng_sum = models.DecimalField(_("sum of longitudes"), max_digits=18, decimal_places=6)

    objects = WellTallyQuerySet.as_manager()

    class Meta:
        verbose_name = _("well tally")
        verbose_name_plural = _("well tallies")
        default_permissions = ()
        # A few thousand rows once compacted for one bureau, some 50,000 for
        # a region's million wells (docs/benchmarks.md, issue 19), where a
        # scope (the campaigns, an officer's unit) or a drill-down to a
        # county's townships reads a few of them: without these it read
        # the whole tally once per township.
        indexes = [
            models.Index(fields=["campaign"], name="welltally_campaign"),
            models.Index(fields=["township"], name="welltally_township"),
            models.Index(fields=["responsible_unit"], name="welltally_unit"),
        ]

    def __str__(self):
        return f"{self.campaign_id} {self.responsible_unit_id} {self.status} {self.deadline}: {self.wells}"


class AppendOnly(models.Model):
    """A record that is written once and never changed or deleted through
    the ORM (the lifecycle's events, the wells' history)."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValidationError(
                _("%(record)s cannot be changed.") % {"record": capfirst(self._meta.verbose_name_plural)}
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("%(record)s cannot be deleted.") % {"record": capfirst(self._meta.verbose_name_plural)})


class WellEvent(AppendOnly):
    """One successful lifecycle action on a well. Written by the workflow in
    the same transaction as the change; never updated or deleted. The actor's
    name is copied so the record survives the user's deletion."""

    well = models.ForeignKey(Well, verbose_name=_("well"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    from_status = models.CharField(_("from"), max_length=20, choices=Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=Status.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(_("actor name"), max_length=150)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)
    # The well's fields before and after, {field: [old, new]}, so a revert
    # can restore exactly what the action changed.
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("well event")
        verbose_name_plural = _("well events")
        ordering = ["well", "created_at", "pk"]
        indexes = [models.Index(fields=["well", "-created_at"], name="event_well_created")]

    def __str__(self):
        return f"{self.well_id} {self.get_action_display()}"


class WellChange(AppendOnly):
    """One change to a well, of any kind (DESIGN §3 "One door for every
    change"): a lifecycle action, its facts, an inspection, the replacement
    supply, archiving or restoring, an import row. Written by the door that
    made the change (:mod:`wells.changes`), in the change's transaction, on
    SQLite and PostgreSQL alike; never updated or deleted. ``changes`` is
    ``{field: [before, after]}``; ``version`` is the well's version after the
    change. The actor's name is copied so the record survives the user."""

    well = models.ForeignKey(Well, verbose_name=_("well"), on_delete=models.PROTECT, related_name="changelog")
    kind = models.CharField(_("kind"), max_length=20, choices=ChangeKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(_("actor name"), max_length=150)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"))
    event = models.OneToOneField(
        WellEvent, verbose_name=_("event"), on_delete=models.PROTECT, null=True, blank=True, related_name="change"
    )

    class Meta:
        verbose_name = _("well history record")
        verbose_name_plural = _("well history")
        ordering = ["-at", "-pk"]
        # A well's history, newest first.
        indexes = [models.Index(fields=["well", "-id"], name="wellchange_well_id")]

    def __str__(self):
        return f"{self.well_id} {self.get_kind_display()} v{self.version}"


def _attachment_path(instance, filename):
    # The stored name never comes from the uploader: no traversal, no clash.
    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}.get(instance.content_type, "")
    return f"wells/{instance.well_id}/{uuid.uuid4().hex}{suffix}"


def _attachment_storage():
    return storages["attachments"]


class Attachment(models.Model):
    """Evidence for a well: a photo or document, stored outside any public
    URL and served only through a scope-checked view."""

    well = models.ForeignKey(Well, verbose_name=_("well"), on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(_("kind"), max_length=20, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=_attachment_path, storage=_attachment_storage, max_length=200)
    original_name = models.CharField(_("original name"), max_length=200, validators=[no_control_characters])
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    event = models.ForeignKey(
        WellEvent, verbose_name=_("event"), on_delete=models.PROTECT, null=True, blank=True, related_name="attachments"
    )
    inspection = models.ForeignKey(
        "Inspection",
        verbose_name=_("inspection"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="attachments",
    )
    # What a photo's EXIF says about where and when it was taken
    # (wells/photos.py), and the warning when that is far from the well or
    # on another day than the action it documents.
    exif_lat = models.DecimalField(_("photo latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    exif_lng = models.DecimalField(_("photo longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    exif_taken_at = models.DateTimeField(_("photo taken at"), null=True, blank=True)
    warning = models.TextField(_("warning"), blank=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["well", "uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    @classmethod
    def store(cls, *, well, kind, upload, content_type, uploaded_by, **facts):
        """Save an upload that the caller has already checked, with its size
        and checksum, its name without control characters, and ``facts``
        (what a photo's EXIF says). The row and the file are kept together or
        not at all: when the row cannot be saved, the file is deleted."""
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        attachment = cls(
            well=well,
            kind=kind,
            original_name=clean_file_name(upload.name)[-200:],
            content_type=content_type,
            size=upload.size,
            sha256=digest.hexdigest(),
            uploaded_by=uploaded_by,
            **facts,
        )
        attachment.file.save(upload.name or "upload", upload, save=False)
        try:
            with transaction.atomic():
                attachment.save()
        except BaseException:
            attachment.file.delete(save=False)
            raise
        return attachment


class Inspection(models.Model):
    """A visit to a well (巡查, 回头看) and what was found there."""

    well = models.ForeignKey(Well, verbose_name=_("well"), on_delete=models.PROTECT, related_name="inspections")
    inspected_on = models.DateField(_("inspected on"), validators=[date_in_range])
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    inspector_name = models.CharField(_("inspector name"), max_length=150)
    result = models.CharField(_("result"), max_length=20, choices=InspectionResult.choices)
    lat = latitude_field()
    lng = longitude_field()
    note = models.TextField(_("note"), blank=True, validators=[no_control_characters])
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-inspected_on", "-pk"]

    def __str__(self):
        return f"{self.well_id} {self.inspected_on}"


class IdempotentRequest(models.Model):
    """A write to the API sent with an ``Idempotency-Key`` header (the
    phone's offline queue sends every change with one): the first answer,
    status and body, kept with the key and the user who sent it, so that a
    retry after a lost answer gets the same answer instead of applying the
    change twice (wells.idempotency). Written in the change's own
    transaction; removed by the daily ``send_reminders`` after
    ``IDEMPOTENCY_KEY_DAYS`` days."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    # SHA-256 of the method, the path and the request's data as parsed
    # (a multipart body's boundary changes on every send; its files count
    # by their SHA-256).
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    # The answer's JSON as it was sent (text: jsonb would reorder its keys).
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self):
        return f"{self.user_id} {self.key}"
