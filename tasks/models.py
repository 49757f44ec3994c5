from django.conf import settings
from django.db import models
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import BUREAU_ROLES, Role
from accounts.models import Unit
from tasks.choices import STEP_ACTIONS, WAITS_FOR, NotificationKind, PublicityKind, Step, TaskStatus
from wellclosure.history import tracked
from wellclosure.validators import date_in_range, no_control_characters
from wells.choices import ACTION_ROLES, TRANSITIONS
from wells.models import Attachment, Campaign, Township, Well, WellEvent, latitude_field, longitude_field
from wells.scope import scope_condition


class CampaignSettings(models.Model):
    """The rhythm of a campaign's work ledger: when reminders start, when an
    overdue task goes up to the bureau, how often a closed well is revisited."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="work_settings"
    )
    remind_days_before = models.PositiveSmallIntegerField(_("remind days before the due date"), default=7)
    escalate_after_days = models.PositiveSmallIntegerField(_("escalate after days overdue"), default=7)
    inspection_period_days = models.PositiveSmallIntegerField(_("inspection period (days)"), default=90)

    class Meta:
        verbose_name = _("work ledger settings")
        verbose_name_plural = _("work ledger settings")

    def __str__(self):
        return str(self.campaign)


class Duty(models.Model):
    """Which unit owns which step of every well of a campaign (the plan's
    附件1). An empty unit means the well's own responsible unit — the
    township or street that carries out the closure."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="duties")
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, null=True, blank=True, related_name="duties_owned"
    )
    days_before_deadline = models.PositiveSmallIntegerField(
        _("due days before the well's deadline"),
        default=0,
        help_text=_("The task falls due this many days before the well's deadline."),
    )
    description = models.TextField(_("description"), blank=True, validators=[no_control_characters])

    class Meta:
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        ordering = ["campaign", "days_before_deadline"]
        constraints = [models.UniqueConstraint(fields=["campaign", "step"], name="duty_step_unique_per_campaign")]

    def __str__(self):
        return f"{self.get_step_display()} · {self.unit or _('responsible unit')}"


def wells_of_member_unit(wells, user):
    """The member-unit scope (DESIGN §4), registered with
    :func:`wells.scope.register_member_scope`: the wells among ``wells`` that
    the ``user``'s unit holds a task for."""
    return wells.filter(Exists(Task.objects.filter(well=OuterRef("pk"), unit_id=user.unit_id)))


def units_with_duties(campaigns):
    """The units named by the duties of ``campaigns`` (a queryset of their
    primary keys), registered with :func:`wells.scope.register_campaign_units`."""
    return Duty.objects.filter(campaign__in=campaigns, unit__isnull=False).values("unit_id")


class TaskQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Tasks of the live wells this user sees; a member unit sees only its
        own. The wells' scope is asked of each task's own well
        (:func:`wells.scope.scope_condition`), which the lists join anyway:
        as a semi-join over the wells, the planner hashed a million wells
        before the first task (0.9 s of the staff's task pages)."""
        role = getattr(user, "role", None)
        if role == Role.UNIT_MEMBER:
            # Its own tasks' wells are its scope (wells_of_member_unit).
            return self.filter(unit_id=user.unit_id, well__archived_at__isnull=True) if user.unit_id else self.none()
        condition = scope_condition(user, "well__")
        if condition is None:
            return self.none()
        return self.filter(condition, well__archived_at__isnull=True)

    def open(self):
        return self.filter(status=TaskStatus.OPEN)

    def overdue(self, today=None):
        return self.open().filter(due_on__lt=today or timezone.localdate())

    def ready(self):
        """The open tasks whose step can be taken now (:func:`ready_condition`)."""
        return self.filter(ready_condition())

    def with_readiness(self):
        """Each task with ``ready``: whether its step can be taken now."""
        return self.annotate(ready=ExpressionWrapper(ready_condition(), output_field=BooleanField()))

    def completable_by(self, user):
        """The open tasks ``user`` may complete (DESIGN §4): bureau roles any
        (on the unit's behalf); a township officer or a member unit its own
        unit's, of the steps its role may take; a leader none."""
        tasks = self.visible_to(user).open()
        role = user.role
        if role in BUREAU_ROLES:
            return tasks
        if role in (Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER) and user.unit_id:
            return tasks.filter(unit_id=user.unit_id, step__in=steps_of_role(role))
        return tasks.none()

    def actionable_by(self, user):
        """What ``user`` can do now: the tasks they may complete whose step is ready."""
        return self.completable_by(user).ready()


def steps_of_role(role):
    """The steps a role may complete: the supply, and those whose action it may take."""
    return [step for step in Step if STEP_ACTIONS[step] is None or role in ACTION_ROLES[STEP_ACTIONS[step]]]


def ready_condition():
    """When an open task's step can be taken now, as one condition the
    database evaluates (the well page, the task lists and the daily digest
    share it): the well is live and in a state the step's action starts
    from (the supply: not yet connected), and no task of a step it waits for
    (:data:`tasks.choices.WAITS_FOR`) is open on the well."""
    by_step = Q(pk__in=[])
    for step in Step:
        action = STEP_ACTIONS[step]
        if action is None:
            condition = Q(well__supply_connected_on__isnull=True)
        else:
            condition = Q(well__status__in=sorted(TRANSITIONS[action][0]))
        if WAITS_FOR[step]:
            blocking = Task.objects.filter(well_id=OuterRef("well_id"), step__in=WAITS_FOR[step])
            condition &= ~Exists(blocking.filter(status=TaskStatus.OPEN))
        by_step |= Q(step=step) & condition
    return Q(status=TaskStatus.OPEN, well__archived_at__isnull=True) & by_step


@tracked("TaskHistory")
class Task(models.Model):
    """One step of one well that one unit must finish by a date. Completed
    by the lifecycle action of the same step, whoever took it."""

    # Indexed below, each first in a composite index, not on its own.
    well = models.ForeignKey(
        Well, verbose_name=_("well"), on_delete=models.PROTECT, related_name="tasks", db_index=False
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="tasks", db_index=False
    )
    step = models.CharField(_("step"), max_length=20, choices=Step.choices)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    # A task opened after the work began (a new round after a reactivation, a
    # step that applies again) falls due no earlier than the day it opened,
    # whatever later moves its well's deadline (tasks.services.due_date).
    due_not_before = models.DateField(_("not due before"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("completed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_by_name = models.CharField(_("completed by (name)"), max_length=150, blank=True)
    event = models.ForeignKey(
        WellEvent, verbose_name=_("event"), on_delete=models.PROTECT, null=True, blank=True, related_name="tasks"
    )
    evidence = models.ManyToManyField(Attachment, verbose_name=_("evidence"), blank=True, related_name="tasks")
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["well", "step"], condition=Q(status="open"), name="task_one_open_per_well_step"
            )
        ]
        indexes = [
            models.Index(fields=["unit", "status", "due_on"], name="task_unit_status_due"),
            # The task lists' own order, read a page at a time (keyset): the
            # staff's first page at a million wells 6.6 s without it, 3.4 ms with.
            models.Index(fields=["due_on", "id"], name="task_due_id"),
            # The open tasks in that order: 我的任务 and ``?status=open``
            # walk it, where the whole index is four-fifths done tasks.
            models.Index(fields=["due_on", "id"], condition=Q(status="open"), name="task_open_due_id"),
            # A unit's tasks of a step in that order (a member unit's
            # ``?step=``): through the order alone, a step the unit holds
            # none of read the whole index (5.3 s) to answer nothing.
            models.Index(fields=["unit", "step", "due_on", "id"], name="task_unit_step_due"),
            # A well's tasks; and whether a unit holds one on it (the member
            # scope's EXISTS, answered from the index alone).
            models.Index(fields=["well", "unit"], name="task_well_unit"),
        ]

    def __str__(self):
        return f"{self.well.code} · {self.get_step_display()}"

    @property
    def is_overdue(self):
        return self.status == TaskStatus.OPEN and self.due_on is not None and self.due_on < timezone.localdate()


class Notification(models.Model):
    """One item of a person's daily digest: a message about one task, or
    about what its ``subject`` names (a unit's steps not listed one by one, a
    late unit escalated to the bureau, a ticket). At most one per task,
    person and day, and per subject, person and day (tasks.reminders): the
    reminder job may run twice, and a thing is told once, whatever the
    reasons to tell it."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="notifications"
    )
    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    # What an item without a task is about, as the app that told it names it
    # (supervision: "ticket:12"), for the same once-a-day rule.
    subject = models.CharField(_("subject"), max_length=40, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    message = models.TextField(_("message"))
    sent_on = models.DateField(_("sent on"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "task", "sent_on"], name="notification_once_a_day_per_task"),
            models.UniqueConstraint(
                fields=["recipient", "subject", "sent_on"],
                condition=~models.Q(subject=""),
                name="notification_once_a_day_per_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
            # A person's notifications, newest first (611 ms to 12 ms).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_recipient_new"),
        ]

    def __str__(self):
        return self.message[:50]

    @property
    def link(self):
        """Where the item leads: its task's well, or, for a unit's steps not
        listed one by one, the task list; else nowhere."""
        if self.task_id:
            return reverse("wells:well", args=[self.task.well.code])
        if self.subject.startswith("tasks:"):
            return reverse("tasks:mine")
        return ""


class Digest(models.Model):
    """A day's digest, written once (tasks.reminders): a later run the same
    day finds it and sends nothing, so each person gets one digest a day,
    and a run with nothing left to send costs one query."""

    sent_on = models.DateField(_("sent on"), unique=True)
    items = models.PositiveIntegerField(_("items"), default=0)
    written_at = models.DateTimeField(_("written at"), auto_now_add=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        default_permissions = ()

    def __str__(self):
        return f"{self.sent_on}: {self.items}"


class PublicityRecord(models.Model):
    """Publicity work (宣传): posts, slogans, handbooks, meetings, counted
    by unit and date, because the work report states the totals."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="publicity"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="publicity")
    kind = models.CharField(_("kind"), max_length=20, choices=PublicityKind.choices)
    count = models.PositiveIntegerField(_("count"))
    held_on = models.DateField(_("date"), validators=[date_in_range])
    note = models.TextField(_("note"), blank=True, validators=[no_control_characters])
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("publicity record")
        verbose_name_plural = _("publicity records")
        ordering = ["-held_on", "-pk"]

    def __str__(self):
        return f"{self.get_kind_display()} × {self.count}"


class MonitoringWell(models.Model):
    """A groundwater monitoring well whose level readings show the effect of
    the closures."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[no_control_characters])
    name = models.CharField(_("name"), max_length=100, validators=[no_control_characters])
    township = models.ForeignKey(
        Township,
        verbose_name=_("township or street"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lat = latitude_field()
    lng = longitude_field()

    class Meta:
        verbose_name = _("monitoring well")
        verbose_name_plural = _("monitoring wells")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class GroundwaterReading(models.Model):
    """The depth to the water table at a monitoring well on a day, in
    metres below ground: a smaller depth is a higher water level."""

    monitoring_well = models.ForeignKey(
        MonitoringWell, verbose_name=_("monitoring well"), on_delete=models.CASCADE, related_name="readings"
    )
    measured_on = models.DateField(_("measured on"), validators=[date_in_range])
    depth_to_water_m = models.DecimalField(_("depth to water (m)"), max_digits=7, decimal_places=2)

    class Meta:
        verbose_name = _("groundwater reading")
        verbose_name_plural = _("groundwater readings")
        ordering = ["monitoring_well", "measured_on"]
        constraints = [models.UniqueConstraint(fields=["monitoring_well", "measured_on"], name="reading_once_a_day")]

    def __str__(self):
        return f"{self.monitoring_well_id} {self.measured_on}: {self.depth_to_water_m}"
