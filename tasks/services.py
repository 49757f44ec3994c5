"""The work ledger's rules: which tasks a well has, how they follow the
well's lifecycle, and how a unit completes one.

The lifecycle itself stays in :mod:`wells.workflow`; this module plugs into
it (see ``TasksConfig.ready``) to refuse what the plan forbids and to keep
every well's tasks in step after each action."""

import datetime
import operator
from collections import defaultdict
from functools import reduce

from django.db import transaction
from django.db.models import Case, Count, DateField, Exists, F, Func, OuterRef, Q, Subquery, When
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import Role
from tasks.choices import STEP_ACTIONS, Step, TaskStatus
from tasks.models import CampaignSettings, Duty, Task
from wellclosure import bulk
from wells.changes import WorkflowError, record_supply
from wells.choices import Action, Status
from wells.models import Attachment, Campaign, Inspection, Well, WellEvent
from wells.workflow import effective_events, perform, read_past_date, standing_events

# Actions after which a well starts a new round of closure work.
_CYCLE_STARTS = {Action.REACTIVATE, Action.RELEASE}


def applicable_steps(well, duties):
    """The duties that apply to this well: none for a retained well; the
    licence step only for a licensed well; the replacement supply only for a
    well with domestic use."""
    if well.status == Status.RETAINED:
        return []
    steps = []
    for duty in duties:
        if duty.step == Step.REVOKE_LICENSE and not well.license_no:
            continue
        if duty.step == Step.SUPPLY and not well.has_domestic_use:
            continue
        steps.append(duty)
    return steps


def due_date(well, duty, not_before=None):
    """When ``duty``'s step of ``well`` falls due: the well's deadline less
    the duty's days; for a task opened after the work began, no earlier than
    the day it opened (``not_before``, :attr:`Task.due_not_before`). None
    without a deadline. :func:`reschedule_tasks` is the same rule in SQL."""
    if well.deadline is None:
        return None
    due = well.deadline - datetime.timedelta(days=duty.days_before_deadline)
    return max(due, not_before) if not_before else due


class DaysBefore(Func):
    """``date`` less a fixed number of days, a date on both databases
    (Django's ``F(date) - timedelta`` is a timestamp on PostgreSQL and a
    date-time string on SQLite)."""

    output_field = DateField()

    def __init__(self, expression, days):
        self.days = int(days)
        super().__init__(expression)

    def as_sql(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template=f"(%(expressions)s - {self.days})", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, template=f"date(%(expressions)s, '{-self.days:+d} days')", **extra)


def reconcile(well):
    """Bring one well's tasks in step with its history: a step done in the
    current round closes its open task, a reverted step reopens its task, a
    new round (reactivated, released) opens fresh tasks, and steps that no
    longer apply are cancelled. Idempotent; returns nothing."""
    duties = list(Duty.objects.filter(campaign_id=well.campaign_id).select_related("unit"))
    effective = effective_events(well)
    effective_ids = {event.pk for event in effective}
    done_in_round = taken_in_round(effective)

    tasks = list(well.tasks.all())
    applicable = {duty.step: duty for duty in applicable_steps(well, duties)}

    for task in tasks:
        if task.status == TaskStatus.OPEN and task.step not in applicable:
            task.status = TaskStatus.CANCELLED
            task.save(update_fields=["status"])

    for step, duty in applicable.items():
        of_step = [task for task in tasks if task.step == step]
        open_task = next((task for task in of_step if task.status == TaskStatus.OPEN), None)
        action = STEP_ACTIONS[Step(step)]
        if action is None:
            # The replacement supply is done only when its unit records it
            # with evidence (complete_task), and stays done across rounds.
            if not any(task.status in (TaskStatus.OPEN, TaskStatus.DONE) for task in of_step):
                _open_task(well, duty)
            continue
        done_event = done_in_round.get(action)
        if done_event is not None:
            if open_task:
                _mark_done(open_task, done_event)
                open_task.save(update_fields=_COMPLETION_FIELDS)
            continue
        if open_task:
            continue
        undone = [task for task in of_step if task.status == TaskStatus.DONE and task.event_id not in effective_ids]
        if undone:
            task = undone[-1]
            task.status = TaskStatus.OPEN
            task.event = None
            task.completed_at = None
            task.completed_by = None
            task.completed_by_name = ""
            task.save(update_fields=_COMPLETION_FIELDS)
        else:
            _open_task(well, duty)


# What closing a task by the step's event, or reopening it, writes.
_COMPLETION_FIELDS = ["status", "event", "completed_at", "completed_by", "completed_by_name"]


def _mark_done(task, event):
    """Close ``task`` (unsaved) as done by the lifecycle ``event`` that took
    its step, by the event's actor at the event's time."""
    task.status = TaskStatus.DONE
    task.event = event
    task.completed_at = event.created_at
    task.completed_by_id = event.actor_id
    task.completed_by_name = event.actor_name


def taken_in_round(standing):
    """``{action: event}`` of the actions taken in the well's current round,
    of its ``standing`` events (oldest first): those after the last
    reactivation or release."""
    start = max((i + 1 for i, event in enumerate(standing) if event.action in _CYCLE_STARTS), default=0)
    return {event.action: event for event in standing[start:]}


def _steps_taken(wells):
    """``{well id: {action: event}}`` of the actions taken in each of
    ``wells``' current rounds, from one query of their events."""
    by_well = defaultdict(list)
    queryset = WellEvent.objects.filter(well_id__in=[well.pk for well in wells]).order_by("well_id", "pk")
    for event in queryset.only("pk", "well_id", "action", "created_at", "actor_id", "actor_name"):
        by_well[event.well_id].append(event)
    return {well_id: taken_in_round(standing_events(events)) for well_id, events in by_well.items()}


def _open_task(well, duty):
    # A task opened now (a new round after a reactivation, a step that
    # applies again) cannot have fallen due before today.
    today = timezone.localdate()
    Task.objects.create(
        well=well,
        unit=duty.unit or well.responsible_unit,
        step=duty.step,
        due_on=due_date(well, duty, today),
        due_not_before=today,
    )


def generate_tasks(wells, taken=None):
    """Create the first round of tasks for wells that have none, in bulk.
    ``taken`` (:func:`_steps_taken`) names the actions wells already under
    way have taken: their tasks are made done, with the event, as
    :func:`reconcile` would close them."""
    duties_by_campaign = {}
    new_tasks = []
    for well in wells:
        if well.campaign_id not in duties_by_campaign:
            duties_by_campaign[well.campaign_id] = list(Duty.objects.filter(campaign_id=well.campaign_id))
        done = (taken or {}).get(well.pk, {})
        for duty in applicable_steps(well, duties_by_campaign[well.campaign_id]):
            task = Task(
                well=well,
                unit_id=duty.unit_id or well.responsible_unit_id,
                step=duty.step,
                due_on=due_date(well, duty),
            )
            event = done.get(STEP_ACTIONS[Step(duty.step)])
            if event is not None:
                _mark_done(task, event)
            new_tasks.append(task)
    bulk.insert(Task, new_tasks)
    return len(new_tasks)


def open_first_tasks(batch=10_000):
    """Give their first round of tasks to the live wells that have none
    though their campaign has duties (wells that reached the ledger before
    their campaign's work plan did). A batch of wells at a time, each in its
    own transaction: memory stays that of one batch, and a run cut short
    leaves whole batches done, which the next run skips. Returns the number
    of tasks created (a well already under way has those of the steps it
    took closed at once, as done)."""
    wells = (
        Well.objects.filter(archived_at__isnull=True)
        .exclude(status=Status.RETAINED)
        .filter(Exists(Duty.objects.filter(campaign_id=OuterRef("campaign_id"))))
        .filter(~Exists(Task.objects.filter(well_id=OuterRef("pk"))))
        .only("pk", "campaign_id", "responsible_unit_id", "status", "deadline", "license_no", "uses")
        .order_by("pk")
    )
    created, last = 0, 0
    while chunk := list(wells.filter(pk__gt=last)[:batch]):
        # A well already under way has the tasks of the steps it took done.
        under_way = [well for well in chunk if well.status != Status.INVENTORIED]
        with transaction.atomic():
            created += generate_tasks(chunk, taken=_steps_taken(under_way))
        last = chunk[-1].pk
    return created


def reschedule_tasks():
    """Move the open tasks whose due date no longer follows their well's
    deadline and their duty's days — after a duty's days were edited, or a
    deadline changed by a way that did not follow it — in the database: one
    query finds the duties with tasks to move, then one UPDATE per such duty
    touches only the tasks that move (each move is in the tasks' history).
    Returns the number moved."""
    duties = list(Duty.objects.all())
    if not duties:
        return 0

    def due(deadline, days):
        plan = DaysBefore(deadline, days)
        return Case(When(due_not_before__gt=plan, then=F("due_not_before")), default=plan)

    def stale(tasks, target):
        # Found through a join with the wells (a correlated subquery per
        # open task took 25 s at a million wells to find none).
        return tasks.alias(target=target).exclude(Q(due_on=F("target")) | Q(due_on__isnull=True, target__isnull=True))

    # Every duty's tasks in one pass: a day with nothing to move costs one
    # scan of the open tasks, not one per duty (10.8 s → 1 s at a million wells).
    of_duty = {(duty.campaign_id, duty.step): duty for duty in duties}
    of_key = {key: Q(well__campaign_id=key[0], step=key[1]) for key in of_duty}
    target = Case(
        *(When(of_key[key], then=due("well__deadline", duty.days_before_deadline)) for key, duty in of_duty.items()),
        output_field=DateField(),
    )
    moving = stale(Task.objects.open().filter(reduce(operator.or_, of_key.values())), target)
    moved = 0
    for key in moving.order_by().values_list("well__campaign_id", "step").distinct():
        duty = of_duty[key]
        # Set through a subquery (an UPDATE cannot join).
        deadline = Subquery(Well.objects.filter(pk=OuterRef("well_id")).values("deadline")[:1])
        tasks = Task.objects.open().filter(step=duty.step, well__campaign_id=duty.campaign_id)
        moved += stale(tasks, due("well__deadline", duty.days_before_deadline)).update(
            due_on=due(deadline, duty.days_before_deadline)
        )
    return moved


def inspections_due(wells, today=None):
    """The accepted wells among ``wells`` that need their post-closure
    inspection (回头看): neither accepted nor inspected within their
    campaign's inspection period."""
    today = today or timezone.localdate()
    default_period = CampaignSettings._meta.get_field("inspection_period_days").default
    periods = dict(CampaignSettings.objects.values_list("campaign_id", "inspection_period_days"))
    due = Q(pk__in=[])
    # Per campaign (a handful of rows), not per distinct campaign of the
    # wells: that DISTINCT read every well of a million-well ledger.
    for campaign_id in Campaign.objects.values_list("pk", flat=True):
        cutoff = today - datetime.timedelta(days=periods.get(campaign_id, default_period))
        cutoff_time = timezone.make_aware(datetime.datetime.combine(cutoff, datetime.time.min))
        recently_inspected = Inspection.objects.filter(well=OuterRef("pk"), inspected_on__gt=cutoff)
        recently_accepted = WellEvent.objects.filter(
            well=OuterRef("pk"), action=Action.ACCEPT, created_at__gte=cutoff_time
        )
        due |= Q(campaign_id=campaign_id) & ~Exists(recently_inspected) & ~Exists(recently_accepted)
    return wells.filter(due, status=Status.ACCEPTED)


def task_overview(tasks, today=None):
    """Per unit: tasks in all, open, overdue and done; most overdue first."""
    today = today or timezone.localdate()
    rows = (
        tasks.order_by()
        .values("unit_id", "unit__name")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(status=TaskStatus.OPEN)),
            overdue=Count("pk", filter=Q(status=TaskStatus.OPEN, due_on__lt=today)),
            done=Count("pk", filter=Q(status=TaskStatus.DONE)),
        )
        .order_by("-overdue", "unit__name")
    )
    return [{"unit": r.pop("unit_id"), "unit_name": r.pop("unit__name"), **r} for r in rows]


# Workflow extensions -------------------------------------------------------


def check_action(well, action, actor, data):
    """Refusals the work ledger adds to the lifecycle (the ``check`` hook:
    runs under the row lock, before the change, and changes nothing)."""
    if actor.role == Role.UNIT_MEMBER and not well.tasks.open().filter(step=action, unit_id=actor.unit_id).exists():
        raise WorkflowError(
            _("Your unit holds no open task “%(step)s” for this well.") % {"step": Action(action).label},
            code=WorkflowError.FORBIDDEN,
        )
    if action == Action.ACCEPT:
        sealing = next((e for e in reversed(effective_events(well)) if e.action == Action.SEAL), None)
        if sealing is not None and sealing.actor_id == actor.pk:
            raise WorkflowError(
                _("You recorded the sealing of this well; another person must accept it."),
                code=WorkflowError.FORBIDDEN,
            )
        pending = list(well.tasks.open().exclude(step=Step.ACCEPT).select_related("unit"))
        if pending:
            raise WorkflowError(
                _("Tasks are still open: %(tasks)s. Acceptance waits until every unit has finished.")
                % {"tasks": "、".join(f"{task.unit.name}「{task.get_step_display()}」" for task in pending)}
            )


def follow_action(well, event):
    """Keep the tasks in step after an action (the ``on_action`` hook)."""
    reconcile(well)


def follow_creation(wells):
    """Give new wells their tasks in the transaction that creates them (the
    ``on_create`` hook): a well never waits for a nightly job to have work."""
    generate_tasks(wells)


def follow_facts(well, changes):
    """After a change of facts (the ``on_facts`` hook): open tasks fall due
    by the new deadline, and those of the responsible unit's steps move to
    the new responsible unit."""
    if "deadline" in changes:
        duties = {duty.step: duty for duty in Duty.objects.filter(campaign_id=well.campaign_id)}
        for task in well.tasks.open():
            duty = duties.get(task.step)
            due_on = due_date(well, duty, task.due_not_before) if duty is not None else task.due_on
            if due_on != task.due_on:
                task.due_on = due_on
                task.save(update_fields=["due_on"])
    if "responsible_unit" in changes:
        before, _after = changes["responsible_unit"]
        own_steps = Duty.objects.filter(campaign_id=well.campaign_id, unit__isnull=True).values("step")
        well.tasks.open().filter(unit_id=before, step__in=own_steps).update(unit_id=well.responsible_unit_id)


def follow_archive(well):
    """An archived well's open tasks are cancelled (the ``on_archive`` hook)."""
    well.tasks.open().update(status=TaskStatus.CANCELLED)


def follow_restore(well):
    """A restored well has its tasks again (the ``on_restore`` hook)."""
    reconcile(well)


def complete_task(task, *, actor, data, version):
    """Complete ``task`` as ``actor``: a township officer or a member unit
    only a task of their own unit, bureau staff any on the unit's behalf. A
    lifecycle step performs its action through the workflow (which then
    closes the task); the replacement supply is recorded on the well through
    its door (:func:`wells.changes.record_supply`) with its evidence."""
    if not Task.objects.visible_to(actor).filter(pk=task.pk).exists():
        raise WorkflowError(_("No such task."), code=WorkflowError.NOT_FOUND)
    own_unit_only = actor.role in (Role.UNIT_MEMBER, Role.TOWNSHIP_OFFICER)
    if actor.role == Role.LEADER or (own_unit_only and task.unit_id != actor.unit_id):
        raise WorkflowError(
            _("This task belongs to %(unit)s: only that unit (or the bureau on its behalf) completes it.")
            % {"unit": task.unit.name},
            code=WorkflowError.FORBIDDEN,
        )
    if task.status != TaskStatus.OPEN:
        raise WorkflowError(_("This task is not open."))
    action = STEP_ACTIONS[Step(task.step)]
    if action is not None:
        perform(task.well, action, actor=actor, data=data, version=version)
        task.refresh_from_db()
        return task
    return _record_supply(task, actor=actor, data=data, version=version)


def _record_supply(task, *, actor, data, version):
    connected_on = read_past_date(data, "supply_connected_on", _("date the replacement supply was connected"))
    ids = data.get("attachments") or []
    with transaction.atomic():
        evidence = list(Attachment.objects.filter(well_id=task.well_id, pk__in=ids))
        if not evidence or len(evidence) != len(set(ids)):
            raise WorkflowError(
                _("Attach the evidence of the connection (a photo or the acceptance record of the works)."),
                field="attachments",
            )
        record_supply(
            task.well, actor=actor, connected_on=connected_on, evidence=evidence, version=version, note=data.get("note")
        )
        task = Task.objects.select_for_update().get(pk=task.pk)
        if task.status != TaskStatus.OPEN:
            raise WorkflowError(_("This task is not open."))
        task.status = TaskStatus.DONE
        task.completed_at = timezone.now()
        task.completed_by = actor
        task.completed_by_name = str(actor)[:150]
        task.note = str(data.get("note") or "")
        task.save(update_fields=["status", "completed_at", "completed_by", "completed_by_name", "note"])
        task.evidence.set(evidence)
    return task
