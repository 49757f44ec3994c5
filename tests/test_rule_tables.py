"""The contract's rules written out by hand: the states and actions of
DESIGN §3 and who may take each action (§4), compared with
``wells.choices`` and then tried on ``wells.workflow.perform`` cell by cell,
every action from every state by every role.

Nothing here is read from ``TRANSITIONS`` or ``ACTION_ROLES``: a change to
either that the contract does not make (an officer given ``accept``, one
more source state) fails the table's test and every cell it changes."""

import pytest
from django.utils import translation

from tasks.choices import Step
from tasks.models import Task
from tests.lifecycle import PERSONAS, REACHED_BY, assert_refused
from wells.choices import ACTION_ROLES, TRANSITIONS, Action, Status
from wells.models import Well
from wells.workflow import WorkflowError, perform

pytestmark = pytest.mark.usefixtures("clock")

# DESIGN §3 "States": the codes and their labels.
STATES = {
    "inventoried": "已排查登记",
    "notified": "已下达关停通知",
    "license_revoked": "已注销取水许可",
    "disconnected": "已断电拆除",
    "sealed": "已封填",
    "accepted": "已验收销号",
    "retained": "保留",
    "reactivated": "复启待处置",
}
EVERY_STATE = frozenset(STATES)

# Two actions name no state to go to.
SAME = "the same state"  # escalate: the well stays where it is, enforced
PREVIOUS = "the state before the last action"  # revert

# DESIGN §3 "Actions": action -> (from states, to state).
MOVES = {
    "notify": ({"inventoried", "reactivated"}, "notified"),
    "revoke_license": ({"notified"}, "license_revoked"),
    # From notified only when the well has no licence: that is the guard's.
    "disconnect": ({"license_revoked", "notified"}, "disconnected"),
    "seal": ({"disconnected"}, "sealed"),
    "accept": ({"sealed"}, "accepted"),
    "retain": ({"inventoried"}, "retained"),
    "release": ({"retained"}, "inventoried"),
    "reactivate": ({"accepted"}, "reactivated"),
    "escalate": ({"notified", "license_revoked"}, SAME),
    "revert": (EVERY_STATE, PREVIOUS),
}
EVERY_ACTION = frozenset(MOVES)

# DESIGN §4 "may do": the actions of each role. A member unit takes its two
# only where its unit holds the open task of that step (the tasks app checks
# it); an officer only on the wells of their own unit (scope, tested apart).
MAY = {
    "bureau_admin": EVERY_ACTION,
    "bureau_staff": EVERY_ACTION - {"revert"},
    "township_officer": {"notify", "disconnect", "seal", "reactivate"},
    "unit_member": {"disconnect", "seal"},
    "leader": set(),
}


def state_after(action, state):
    """Where ``action`` from ``state`` leads by the table above; for revert,
    the state of the earlier event the test well was built with."""
    target = MOVES[action][1]
    if target == SAME:
        return state
    if target == PREVIOUS:
        return REACHED_BY[state][1]
    return target


TAKEN = [
    (action, state, role, state_after(action, state))
    for role, actions in MAY.items()
    for action in sorted(actions)
    for state in sorted(MOVES[action][0])
]
WRONG_STATE = [
    (action, state, role)
    for role, actions in MAY.items()
    for action in sorted(actions)
    for state in sorted(EVERY_STATE - MOVES[action][0])
]
NOT_THE_ROLES = [
    (action, state, role)
    for role, actions in MAY.items()
    for action in sorted(EVERY_ACTION - actions)
    for state in sorted(EVERY_STATE)
]


def _cell_id(value):
    return str(value)


@pytest.fixture(autouse=True)
def in_chinese():
    """The refusals name the state by its contract label."""
    with translation.override("zh-hans"):
        yield


@pytest.fixture
def actor_for(request):
    """``actor_for(role, well, action)``: the person of ``role``; a member
    unit's person with the open task its unit would hold on ``well`` (the
    step of ``action``, or for an action no unit holds, a disconnect task, so
    that the well is in the member's scope and only the role decides)."""

    def actor(role, well, action):
        person = request.getfixturevalue(PERSONAS[role])
        if role == "unit_member":
            step = action if action in Step.values else Step.DISCONNECT
            Task.objects.create(well=well, unit=person.unit, step=step)
        return person

    return actor


# The tables against wells.choices ----------------------------------------------


def test_the_states_have_the_contracts_codes_and_labels():
    with translation.override("zh-hans"):
        assert {status.value: str(status.label) for status in Status} == STATES


def test_the_actions_have_the_contracts_codes():
    assert {action.value for action in Action} == EVERY_ACTION


def test_transitions_are_the_contracts_state_table():
    written = {
        action: (set(sources), None if target in (SAME, PREVIOUS) else target)
        for action, (sources, target) in MOVES.items()
    }

    assert {
        Action(action).value: ({Status(s).value for s in sources}, target and Status(target).value)
        for action, (sources, target) in TRANSITIONS.items()
    } == written


def test_action_roles_are_the_contracts_role_table():
    written = {action: {role for role, actions in MAY.items() if action in actions} for action in MOVES}

    assert {Action(action).value: {role.value for role in roles} for action, roles in ACTION_ROLES.items()} == written


def test_the_wells_built_for_revert_reached_their_state_by_a_move_of_the_table():
    moves = {state: (before in MOVES[action][0], MOVES[action][1]) for state, (action, before) in REACHED_BY.items()}

    assert moves == {state: (True, state) for state in EVERY_STATE}


# The tables, cell by cell, through perform ----------------------------------------


@pytest.mark.parametrize(("action", "state", "role", "to_state"), TAKEN, ids=_cell_id)
def test_each_role_takes_its_actions_from_the_states_the_table_gives(
    ready_well, actor_for, action, state, role, to_state
):
    case = ready_well(action, state)
    actor = actor_for(role, case.well, action)
    events_before = case.well.events.count()

    returned = perform(case.well, action, actor=actor, data=case.data, version=case.well.version)

    well = Well.objects.get(pk=case.well.pk)
    assert (returned.status, well.status) == (to_state, to_state)
    assert (returned.version, well.version) == (case.well.version + 1, case.well.version + 1)
    event = well.events.latest("pk")
    assert (event.action, event.from_status, event.to_status) == (action, state, to_state)
    assert (event.actor, event.actor_name, event.note) == (actor, str(actor), "现场核实")
    assert event.data == case.event_data
    assert well.events.count() == events_before + 1


@pytest.mark.parametrize(("action", "state", "role"), WRONG_STATE, ids=_cell_id)
def test_each_action_is_refused_from_the_states_the_table_does_not_give(ready_well, actor_for, action, state, role):
    case = ready_well(action, state)
    actor = actor_for(role, case.well, action)

    error = assert_refused(case.well, action, actor=actor, data=case.data, code=WorkflowError.REFUSED)

    assert STATES[state] in str(error)


@pytest.mark.parametrize(("action", "state", "role"), NOT_THE_ROLES, ids=_cell_id)
def test_each_action_is_forbidden_to_the_roles_the_table_does_not_give_it_whatever_the_state(
    ready_well, actor_for, action, state, role
):
    case = ready_well(action, state)
    actor = actor_for(role, case.well, action)

    assert_refused(case.well, action, actor=actor, data=case.data, code=WorkflowError.FORBIDDEN)


def test_the_cells_cover_every_action_from_every_state_by_every_role():
    cells = [cell[:3] for cell in TAKEN] + WRONG_STATE + NOT_THE_ROLES

    assert len(cells) == len(set(cells)) == 10 * 8 * 5


@pytest.mark.parametrize("action", sorted(MAY["unit_member"]))
def test_a_member_unit_is_forbidden_its_actions_without_its_units_open_task_of_that_step(ready_well, member, action):
    state = sorted(MOVES[action][0])[0]
    case = ready_well(action, state)
    other_step = {"disconnect": Step.SEAL, "seal": Step.DISCONNECT}[action]
    Task.objects.create(well=case.well, unit=member.unit, step=other_step)

    assert_refused(case.well, action, actor=member, data=case.data, code=WorkflowError.FORBIDDEN)
