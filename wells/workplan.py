"""The hook through which a well's pages show its work plan. The plan (the
well's tasks, which unit holds each step, what each waits for) belongs to
the tasks app, which registers it here from its ``AppConfig.ready``: wells
may not import tasks (DESIGN §2). Without it, pages offer what the
lifecycle allows."""

from django.db.models import Q

from wells.workflow import available_actions

_plan = None
_ready_q = None


def register_work_plan(plan, ready_q):
    """``plan(well, user)`` answers an object with ``template``, ``tasks``,
    ``allows(action)``, ``waiting(action)`` and ``other_steps``;
    ``ready_q(action)`` a condition on wells, true where no open task holds
    the action's step back. Registering again replaces them."""
    global _plan, _ready_q
    _plan, _ready_q = plan, ready_q


def work_plan(well, user):
    """The well's work plan as ``user`` sees it, or None."""
    return _plan(well, user) if _plan is not None else None


def ready_q(action):
    return _ready_q(action) if _ready_q is not None else Q()


def actions_now(well, user, plan):
    """The actions the user can take on the well now: those the lifecycle
    allows, less those whose step waits for another (and, for a member
    unit, those its unit holds no task for)."""
    actions = available_actions(well, user)
    if plan is None:
        return actions
    return [action for action in actions if plan.allows(action)]
