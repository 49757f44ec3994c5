"""The problem ledger's state machine, written out literally (DESIGN §8):
every action from every state, every role on every action, the version
check, one event per change, and the second pair of eyes."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from supervision.choices import TicketState
from supervision.files import store_file
from supervision.models import TicketEvent
from supervision.workflow import TicketError, available_actions, perform
from tests.api.helpers import png_bytes
from wells.choices import Category, Status
from wells.models import Well, WellChange

pytestmark = pytest.mark.usefixtures("clock")

REFUSED = "refused"

# (state, action) → the state after it, or REFUSED. Taken by the bureau's
# admin (who may take every action; the tickets' rectifier is the officer).
STATE_TABLE = {
    ("reported", "assign"): "assigned",
    ("reported", "rectify"): REFUSED,
    ("reported", "review_pass"): REFUSED,
    ("reported", "review_fail"): REFUSED,
    ("reported", "register_well"): "reported",
    ("reported", "reply"): "reported",
    ("assigned", "assign"): "assigned",
    ("assigned", "rectify"): "rectified",
    ("assigned", "review_pass"): REFUSED,
    ("assigned", "review_fail"): REFUSED,
    ("assigned", "register_well"): "assigned",
    ("assigned", "reply"): "assigned",
    ("rectified", "assign"): REFUSED,
    ("rectified", "rectify"): REFUSED,
    ("rectified", "review_pass"): "closed",
    ("rectified", "review_fail"): "assigned",
    ("rectified", "register_well"): REFUSED,
    ("rectified", "reply"): "rectified",
    ("closed", "assign"): REFUSED,
    ("closed", "rectify"): REFUSED,
    ("closed", "review_pass"): REFUSED,
    ("closed", "review_fail"): REFUSED,
    ("closed", "register_well"): REFUSED,
    ("closed", "reply"): "closed",
}

# action → what each role gets on a ticket assigned to 中山路 (the officer's
# unit; the grid company's member does not see it): "ok", "forbidden" (403)
# or "not_found" (404).
ROLE_TABLE = {
    "assign": {"admin": "ok", "staff": "ok", "officer": "forbidden", "member": "not_found", "leader": "forbidden"},
    "rectify": {"admin": "ok", "staff": "ok", "officer": "ok", "member": "not_found", "leader": "forbidden"},
    "review_pass": {"admin": "ok", "staff": "ok", "officer": "forbidden", "member": "not_found", "leader": "forbidden"},
    "review_fail": {"admin": "ok", "staff": "ok", "officer": "forbidden", "member": "not_found", "leader": "forbidden"},
    "register_well": {
        "admin": "ok",
        "staff": "ok",
        "officer": "forbidden",
        "member": "not_found",
        "leader": "forbidden",
    },
    "reply": {"admin": "ok", "staff": "ok", "officer": "forbidden", "member": "not_found", "leader": "forbidden"},
}
# The state each action is tried from in the role table.
TRIED_FROM = {
    "assign": "assigned",
    "rectify": "assigned",
    "review_pass": "rectified",
    "review_fail": "rectified",
    "register_well": "assigned",
    "reply": "assigned",
}


@pytest.fixture
def action_data(zhongshan_unit, zhongshan, campaign, officer):
    def data(action, ticket):
        if action == "assign":
            return {"unit": zhongshan_unit.pk, "due_on": "2023-07-15"}, ()
        if action == "rectify":
            upload = SimpleUploadedFile("证据.png", png_bytes(), content_type="image/png")
            return {"note": "已封堵"}, [store_file(upload, uploaded_by=officer, ticket=ticket)]
        if action == "review_fail":
            return {"reason": "井口未封闭"}, ()
        if action == "reply":
            return {"reply": "已安排核查"}, ()
        if action == "register_well":
            return {
                "code": f"CJ-NEW-{ticket.pk}",
                "owner_name": "某村民",
                "owner_kind": "person",
                "township": zhongshan.code,
                "uses": ["irrigation"],
                "responsible_unit": zhongshan_unit.pk,
                "campaign": campaign.pk,
            }, ()
        return {}, ()

    return data


@pytest.mark.parametrize(("state", "action"), sorted(STATE_TABLE))
def test_every_action_from_every_state(ticket_in, admin_user, action_data, state, action):
    ticket = ticket_in(state)
    data, files = action_data(action, ticket)
    events_before = TicketEvent.objects.filter(ticket=ticket).count()
    expected = STATE_TABLE[(state, action)]

    if expected == REFUSED:
        with pytest.raises(TicketError) as refused:
            perform(ticket, action, actor=admin_user, data=data, version=ticket.version, files=files)
        assert refused.value.code == TicketError.REFUSED
        ticket.refresh_from_db()
        assert (ticket.state, TicketEvent.objects.filter(ticket=ticket).count()) == (state, events_before)
        return

    done = perform(ticket, action, actor=admin_user, data=data, version=ticket.version, files=files)

    assert done.state == expected
    event = TicketEvent.objects.filter(ticket=ticket).latest("pk")
    assert (event.action, event.from_state, event.to_state, event.actor) == (action, state, expected, admin_user)
    assert TicketEvent.objects.filter(ticket=ticket).count() == events_before + 1
    assert done.version == ticket.version + 1


@pytest.mark.parametrize(
    ("action", "role"), [(action, role) for action, roles in sorted(ROLE_TABLE.items()) for role in roles]
)
def test_every_role_on_every_action(request, ticket_in, action_data, action, role):
    actor = request.getfixturevalue({"admin": "admin_user"}.get(role, role))
    ticket = ticket_in(TRIED_FROM[action])
    data, files = action_data(action, ticket)
    expected = ROLE_TABLE[action][role]
    events_before = TicketEvent.objects.filter(ticket=ticket).count()

    if expected == "ok":
        perform(ticket, action, actor=actor, data=data, version=ticket.version, files=files)
        latest = TicketEvent.objects.filter(ticket=ticket).latest("pk")
        assert (latest.action, latest.actor) == (action, actor)
        assert TicketEvent.objects.filter(ticket=ticket).count() == events_before + 1
    else:
        with pytest.raises(TicketError) as refused:
            perform(ticket, action, actor=actor, data=data, version=ticket.version, files=files)
        assert refused.value.code == expected
        assert TicketEvent.objects.filter(ticket=ticket).count() == events_before


def test_a_stale_version_is_refused_and_changes_nothing(ticket_in, staff, zhongshan_unit):
    ticket = ticket_in("reported")
    with pytest.raises(TicketError) as refused:
        perform(ticket, "assign", actor=staff, data={"unit": zhongshan_unit.pk, "due_on": "2023-07-01"}, version=99)
    assert refused.value.code == TicketError.STALE
    ticket.refresh_from_db()
    assert (ticket.state, ticket.version, ticket.unit) == ("reported", 1, None)


def test_the_rectifier_may_not_review_their_own_rectification(ticket_in, staff, zhongshan_unit):
    ticket = ticket_in("assigned")
    upload = SimpleUploadedFile("证据.png", png_bytes(), content_type="image/png")
    evidence = store_file(upload, uploaded_by=staff, ticket=ticket)
    ticket = perform(
        ticket, "rectify", actor=staff, data={"note": "代为整改"}, version=ticket.version, files=[evidence]
    )

    assert "review_pass" not in available_actions(ticket, staff)
    with pytest.raises(TicketError) as refused:
        perform(ticket, "review_pass", actor=staff, data={}, version=ticket.version)
    assert refused.value.code == TicketError.FORBIDDEN
    assert "someone else" in refused.value.message or "他人" in refused.value.message


def test_rectify_is_refused_without_evidence(ticket_in, officer):
    ticket = ticket_in("assigned")
    with pytest.raises(TicketError) as refused:
        perform(ticket, "rectify", actor=officer, data={"note": "已整改"}, version=ticket.version)
    assert refused.value.field == "attachments"
    ticket.refresh_from_db()
    assert ticket.state == TicketState.ASSIGNED


def test_a_refused_review_sends_it_back_with_the_reason_and_the_unit_rectifies_again(ticket_in, staff, officer):
    ticket = ticket_in("rectified")
    ticket = perform(ticket, "review_fail", actor=staff, data={"reason": "照片看不清井口"}, version=ticket.version)
    assert ticket.state == TicketState.ASSIGNED
    assert TicketEvent.objects.get(ticket=ticket, action="review_fail").data == {"reason": "照片看不清井口"}


def test_assign_refuses_a_deadline_in_the_past(ticket_in, staff, zhongshan_unit):
    ticket = ticket_in("reported")
    with pytest.raises(TicketError) as refused:
        perform(ticket, "assign", actor=staff, data={"unit": zhongshan_unit.pk, "due_on": "2023-06-01"}, version=1)
    assert refused.value.field == "due_on"


def test_a_confirmed_illegal_well_enters_the_ledger_inventoried_and_unlicensed(
    ticket_in, staff, zhongshan, zhongshan_unit, campaign
):
    ticket = ticket_in("assigned")
    data = {
        "code": "CJ-ZSL-NEW1",
        "owner_name": "某养殖户",
        "owner_kind": "person",
        "township": zhongshan.code,
        "uses": ["livestock"],
        "responsible_unit": zhongshan_unit.pk,
        "campaign": campaign.pk,
    }
    ticket = perform(ticket, "register_well", actor=staff, data=data, version=ticket.version)

    well = Well.objects.get(code="CJ-ZSL-NEW1")
    assert ticket.well == well
    assert (well.status, well.category, str(well.lat), str(well.lng)) == (
        Status.INVENTORIED,
        Category.UNLICENSED,
        "44.030000",
        "87.280000",
    )
    assert WellChange.objects.filter(well=well).count() == 1  # through the door, with its history
    assert TicketEvent.objects.get(ticket=ticket, action="register_well").data == {"well": "CJ-ZSL-NEW1"}


def test_a_well_code_already_in_the_ledger_is_refused_by_name(
    ticket_in, staff, zhongshan, zhongshan_unit, campaign, well
):
    ticket = ticket_in("reported")
    data = {
        "code": well.code,
        "owner_name": "某人",
        "owner_kind": "person",
        "township": zhongshan.code,
        "uses": ["livestock"],
        "responsible_unit": zhongshan_unit.pk,
        "campaign": campaign.pk,
    }
    with pytest.raises(TicketError) as refused:
        perform(ticket, "register_well", actor=staff, data=data, version=ticket.version)
    assert refused.value.field == "code"
    ticket.refresh_from_db()
    assert ticket.well is None


def test_an_unknown_action_is_refused_by_name(ticket_in, staff):
    ticket = ticket_in("reported")
    with pytest.raises(TicketError) as refused:
        perform(ticket, "open", actor=staff, data={}, version=1)
    assert refused.value.field == "action"
