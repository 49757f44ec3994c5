"""Supervision after closure (DESIGN §8): patrol duties and the patrols with
their tracks, the wells they passed and what was found there; the problem
ledger (tickets) with its events; the files that patrols and tickets carry.

Tickets change only through :func:`supervision.workflow.perform`; a well
changes only through the doors of ``wells`` (a patrol's finding is an
inspection recorded by :func:`wells.changes.record_inspection`)."""

import secrets
import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import Role
from accounts.models import Unit
from supervision.choices import Frequency, PatrolState, TicketAction, TicketSource, TicketState
from wellclosure.validators import no_control_characters
from wells.choices import InspectionResult
from wells.models import AppendOnly, Campaign, Inspection, Well, latitude_field, longitude_field
from wells.scope import campaigns_reached_by, divisions_reached_by


class PatrolRule(models.Model):
    """What a patrol of a campaign must reach to count (river-chief
    practice: 15 minutes and 1 km)."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="patrol_rule"
    )
    min_minutes = models.PositiveSmallIntegerField(_("minimum duration (minutes)"), default=15)
    min_metres = models.PositiveIntegerField(_("minimum length (m)"), default=1000)

    class Meta:
        verbose_name = _("patrol rule")
        verbose_name_plural = _("patrol rules")

    def __str__(self):
        return f"{self.campaign}: {self.min_minutes} min, {self.min_metres} m"


class PatrolDuty(models.Model):
    """A unit must patrol its closed wells ``times`` per period."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="patrol_duties"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="patrol_duties")
    frequency = models.CharField(_("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.MONTHLY)
    times = models.PositiveSmallIntegerField(_("patrols per period"), default=1, validators=[MinValueValidator(1)])

    class Meta:
        verbose_name = _("patrol duty")
        verbose_name_plural = _("patrol duties")
        ordering = ["campaign", "unit__name"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="patrol_duty_once_per_unit")]

    def __str__(self):
        return f"{self.unit} · {self.get_frequency_display()} × {self.times}"


class PatrolQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Bureau roles and leaders see the patrols of the campaigns of their
        bureau's division and below (wells.scope); a township officer (or a
        member unit) the patrols of their own unit."""
        role = getattr(user, "role", None)
        if role is None:
            return self.none()
        if user.reads_bureau_subtree:
            return self.filter(campaign__in=campaigns_reached_by(user))
        if user.unit_id:
            return self.filter(unit_id=user.unit_id)
        return self.none()


class Patrol(models.Model):
    """One patrol (巡查) walked or driven by an officer, with its GPS track.
    Its length and duration are kept as the points arrive; ``counts`` says
    whether it met the campaign's minimums when it finished."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="+")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="patrols")
    patroller = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("patroller"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    patroller_name = models.CharField(_("patroller name"), max_length=150)
    state = models.CharField(_("state"), max_length=20, choices=PatrolState.choices, default=PatrolState.UNDER_WAY)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    length_m = models.PositiveIntegerField(_("length (m)"), default=0)
    duration_s = models.PositiveIntegerField(_("duration (s)"), default=0)
    counts = models.BooleanField(_("counts toward the duty"), default=False)
    note = models.TextField(_("note"), blank=True, validators=[no_control_characters])

    objects = PatrolQuerySet.as_manager()

    class Meta:
        verbose_name = _("patrol")
        verbose_name_plural = _("patrols")
        ordering = ["-started_at", "-pk"]
        indexes = [models.Index(fields=["unit", "counts", "finished_at"], name="patrol_unit_counts_finished")]

    def __str__(self):
        return f"{self.unit} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    @property
    def length_km(self):
        return self.length_m / 1000

    @property
    def minutes(self):
        return self.duration_s // 60


class PatrolPoint(models.Model):
    """One position of a patrol's track, as the phone took it."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="points")
    at = models.DateTimeField(_("time"))
    lat = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6)
    lng = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6)
    accuracy_m = models.PositiveIntegerField(_("accuracy (m)"), null=True, blank=True)

    class Meta:
        verbose_name = _("patrol point")
        verbose_name_plural = _("patrol points")
        ordering = ["patrol", "at", "pk"]
        constraints = [models.UniqueConstraint(fields=["patrol", "at"], name="patrol_point_once_per_time")]

    def __str__(self):
        return f"{self.lat}, {self.lng} @ {self.at:%H:%M:%S}"


class PatrolWell(models.Model):
    """A well the patrol passed within 50 m of, and what was found there
    (the inspection it recorded, empty until the patroller says)."""

    patrol = models.ForeignKey(Patrol, verbose_name=_("patrol"), on_delete=models.CASCADE, related_name="wells")
    well = models.ForeignKey(Well, verbose_name=_("well"), on_delete=models.PROTECT, related_name="+")
    distance_m = models.PositiveIntegerField(_("closest distance (m)"))
    result = models.CharField(_("result"), max_length=20, choices=InspectionResult.choices, blank=True)
    inspection = models.OneToOneField(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("well passed")
        verbose_name_plural = _("wells passed")
        ordering = ["patrol", "distance_m", "well__code"]
        constraints = [models.UniqueConstraint(fields=["patrol", "well"], name="patrol_well_once")]

    def __str__(self):
        return f"{self.well_id} · {self.distance_m} m"


def _tracking_number():
    # 12 characters from an alphabet without look-alikes (0/O, 1/I/L).
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "JB" + "".join(secrets.choice(alphabet) for _ in range(10))


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Bureau roles and leaders see the tickets of the wells they see
        (their bureau's division and below, wells.scope), and those of no
        well assigned to a unit of that subtree, or to a unit placed in no
        division or to none yet (a public report waiting to be triaged: the
        one pool every bureau reads); a township officer or a member unit
        those assigned to their unit, and those they opened."""
        role = getattr(user, "role", None)
        if role is None:
            return self.none()
        if user.reads_bureau_subtree:
            # Subqueries, not joins: the workflow locks the ticket row
            # (FOR UPDATE cannot take the nullable side of an outer join).
            reached_units = Unit.objects.filter(Q(division__isnull=True) | Q(division__in=divisions_reached_by(user)))
            return self.filter(
                Q(well__in=Well.objects.filter(campaign__in=campaigns_reached_by(user)).values("pk"))
                | Q(well__isnull=True, unit__isnull=True)
                | Q(well__isnull=True, unit__in=reached_units.values("pk"))
            )
        if role in (Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER) and user.unit_id:
            return self.filter(Q(unit_id=user.unit_id) | Q(opened_by=user))
        return self.none()

    def overdue(self, as_of):
        """Assigned and not rectified by their due date."""
        return self.filter(state=TicketState.ASSIGNED, due_on__lt=as_of)


class Ticket(models.Model):
    """One problem of the problem ledger (问题台账), followed until it is
    closed (销号). ``state`` and ``version`` change only through
    :func:`supervision.workflow.perform`."""

    tracking = models.CharField(_("tracking number"), max_length=12, unique=True, default=_tracking_number)
    source = models.CharField(_("source"), max_length=20, choices=TicketSource.choices)
    state = models.CharField(_("state"), max_length=20, choices=TicketState.choices, default=TicketState.REPORTED)
    version = models.PositiveIntegerField(_("version"), default=1)
    well = models.ForeignKey(
        Well, verbose_name=_("well"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    due_on = models.DateField(_("due on"), null=True, blank=True)
    lat = latitude_field()
    lng = longitude_field()
    description = models.TextField(_("description"), max_length=2000, validators=[no_control_characters])
    # The bureau's answer the public reads on the tracking page.
    reply = models.TextField(_("public reply"), blank=True, max_length=2000, validators=[no_control_characters])
    # The reporter's details: never shown outside the bureau's pages.
    reporter_phone = models.CharField(_("reporter's phone"), max_length=20, blank=True)
    reporter_address = models.CharField(_("reporter's address (hashed)"), max_length=64, blank=True, db_index=True)
    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.PROTECT, null=True, blank=True, related_name="tickets"
    )
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who rectified last: the review must be someone else.
    rectified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("rectified by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "due_on"], name="ticket_state_due"),
            models.Index(fields=["unit", "state"], name="ticket_unit_state"),
        ]

    def __str__(self):
        return f"{self.tracking} {self.get_state_display()}"

    def is_overdue(self, as_of=None):
        as_of = as_of or timezone.localdate()
        return self.state == TicketState.ASSIGNED and self.due_on is not None and self.due_on < as_of


class TicketEvent(AppendOnly):
    """One successful action on a ticket, written by the workflow in the
    action's transaction; never changed or deleted."""

    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=TicketAction.choices)
    from_state = models.CharField(_("from"), max_length=20, choices=TicketState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=TicketState.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("actor"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(_("actor name"), max_length=150)
    created_at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        ordering = ["ticket", "created_at", "pk"]

    def __str__(self):
        return f"{self.ticket_id} {self.get_action_display()}"


def _file_path(instance, filename):
    suffix = {"image/jpeg": ".jpg", "image/png": ".png", "application/pdf": ".pdf"}.get(instance.content_type, "")
    return f"supervision/{uuid.uuid4().hex}{suffix}"


def _file_storage():
    return storages["attachments"]


class SupervisionFile(models.Model):
    """A photo or document of a patrol or a ticket (a report's photos, a
    rectification's evidence), stored outside any public URL and served only
    to those who see its patrol or ticket."""

    patrol = models.ForeignKey(
        Patrol, verbose_name=_("patrol"), on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    event = models.ForeignKey(
        TicketEvent, verbose_name=_("event"), on_delete=models.PROTECT, null=True, blank=True, related_name="files"
    )
    file = models.FileField(_("file"), upload_to=_file_path, storage=_file_storage, max_length=200)
    original_name = models.CharField(_("original name"), max_length=200)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        verbose_name = _("supervision file")
        verbose_name_plural = _("supervision files")
        ordering = ["uploaded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(patrol__isnull=False) | Q(ticket__isnull=False), name="supervision_file_belongs"
            )
        ]

    def __str__(self):
        return self.original_name
