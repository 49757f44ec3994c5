"""A well's work plan: every step of its closure, the unit that holds it,
when it falls due, its state, who finished it and when — and, for a step
that cannot be taken yet, what and whom it waits for. The well page shows it
(registered with :func:`wells.workplan.register_work_plan`, since wells may not
import tasks) and hides the buttons of steps that wait; the task lists and
the daily digest use the same readiness (:func:`tasks.models.ready_condition`)."""

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.choices import Role
from tasks.choices import STEP_ACTIONS, STEP_ORDER, WAITS_FOR, Step, TaskStatus
from tasks.models import Task

STEP_RANK = Case(
    *(When(step=step, then=Value(rank)) for rank, step in enumerate(STEP_ORDER)), output_field=IntegerField()
)


def wells_ready_for(action):
    """A condition on wells: no open task of a step that ``action``'s step
    waits for (:data:`tasks.choices.WAITS_FOR`) is left on the well."""
    if action not in Step.values or not WAITS_FOR[Step(action)]:
        return Q()
    blocking = Task.objects.filter(well_id=OuterRef("pk"), status=TaskStatus.OPEN, step__in=WAITS_FOR[Step(action)])
    return ~Exists(blocking)


def step_url(task):
    """Where a task is completed: its action's page on the well, or the
    replacement supply's form."""
    action = STEP_ACTIONS[Step(task.step)]
    if action is None:
        return reverse("tasks:supply", args=[task.pk])
    return reverse("wells:action", args=[task.well.code, action.value])


def waiting_text(task, open_tasks):
    """Why ``task`` cannot be taken now, naming the units and steps it waits
    for ("等待市清源水务有限责任公司「接通替代水源」"), or the well's state
    when no other task holds it back."""
    blockers = [other for other in open_tasks if other.pk != task.pk and other.step in WAITS_FOR[Step(task.step)]]
    blockers.sort(key=lambda other: STEP_ORDER.index(Step(other.step)))
    if blockers:
        return _("Waiting for %(steps)s") % {
            "steps": "、".join(f"{other.unit.name}「{other.get_step_display()}」" for other in blockers)
        }
    if task.well.archived_at is not None:
        return _("The well is archived.")
    return _("Not possible while the well is “%(status)s”.") % {"status": task.well.get_status_display()}


def describe(tasks, user):
    """Mark each of ``tasks`` (annotated ``with_readiness``, with their well
    and unit) with what ``user`` may do: ``can_complete`` and ``url`` for a
    step they may take now, ``waiting`` (a sentence) for an open one that
    waits."""
    shown = [task.pk for task in tasks]
    completable = set(Task.objects.completable_by(user).filter(pk__in=shown).values_list("pk", flat=True))
    open_by_well = {}
    for other in Task.objects.open().filter(well_id__in={task.well_id for task in tasks}).select_related("unit"):
        open_by_well.setdefault(other.well_id, []).append(other)
    for task in tasks:
        task.can_complete = task.status == TaskStatus.OPEN and task.ready and task.pk in completable
        task.url = step_url(task) if task.can_complete else None
        task.waiting = None
        if task.status == TaskStatus.OPEN and not task.ready:
            task.waiting = waiting_text(task, open_by_well.get(task.well_id, []))
    return tasks


class WorkPlan:
    """The work plan of one well as ``user`` sees it."""

    template = "tasks/_work_plan.html"

    def __init__(self, well, user):
        self.well = well
        self.user = user
        tasks = list(
            well.tasks.with_readiness()
            .select_related("unit", "completed_by")
            .exclude(status=TaskStatus.CANCELLED)
            .order_by(STEP_RANK, "pk")
        )
        for task in tasks:
            task.well = well
        self.tasks = describe(tasks, user)
        self.open_by_step = {task.step: task for task in self.tasks if task.status == TaskStatus.OPEN}

    def allows(self, action):
        """Whether the well page offers ``action`` to the user (already
        allowed by the lifecycle): not while its step's open task waits, and
        to a member unit only where its unit holds that task."""
        task = self.open_by_step.get(action)
        if task is None:
            return self.user.role != Role.UNIT_MEMBER
        return task.ready and (self.user.role != Role.UNIT_MEMBER or task.unit_id == self.user.unit_id)

    def waiting(self, action):
        """Why ``action`` waits, or None."""
        task = self.open_by_step.get(action)
        return task.waiting if task is not None else None

    @property
    def other_steps(self):
        """The steps the user can take now that are no lifecycle action (the
        replacement supply): the page offers them beside the actions."""
        return [task for task in self.tasks if task.can_complete and STEP_ACTIONS[Step(task.step)] is None]
