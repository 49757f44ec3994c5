"""``manage.py generate_wells``: synthetic wells whose histories the real
workflow would have written (COPY on PostgreSQL, bulk_create on SQLite).

The generator dates its campaigns from today: the clock stands at
2023-06-15, so that seed 7 gives the same ledger whatever day the suite
runs."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.choices import Role
from tests.factories import UserFactory
from wells.choices import TRANSITIONS, Action, Category, Status, Use
from wells.filtersets import WellFilterSet
from wells.models import CHINA_LAT, CHINA_LNG, Well, WellEvent
from wells.workflow import effective_events, perform

pytestmark = pytest.mark.usefixtures("clock")

TRACKED_DATES = ("comply_by", "review_on", "accepted_on")
TRACKED = ("enforced", *TRACKED_DATES)


@pytest.fixture
def generated(db):
    call_command("generate_wells", count=200, seed=7, stdout=io.StringIO())
    return Well.objects.order_by("pk")


def replay(well, moves=None):
    """Walk the well's events from an inventoried well, checking each move
    against TRANSITIONS; the state the history leads to and the events still
    standing. Each move, as (action, from, to), is added to ``moves``."""
    state = dict.fromkeys(TRACKED_DATES, None) | {"status": Status.INVENTORIED, "enforced": False}
    standing = []
    for event in well.events.order_by("pk"):
        where = (well.code, event.action)
        sources, target = TRANSITIONS[event.action]
        assert event.from_status == state["status"], where
        assert event.from_status in sources, where
        undone = standing.pop() if event.action == Action.REVERT else None
        expected_to = undone.from_status if undone else (target or event.from_status)
        assert event.to_status == expected_to, where
        assert event.data.get("reverted_event") == (undone.pk if undone else None), where
        assert (event.action, event.from_status, bool(well.license_no)) != (Action.DISCONNECT, Status.NOTIFIED, True), (
            f"{well.code} lost power with its licence still valid"
        )
        if undone is None:
            standing.append(event)
        if moves is not None:
            moves.add((event.action, event.from_status, event.to_status))
        for field, (old, new) in event.changes.items():
            before = state[field].isoformat() if isinstance(state[field], datetime.date) else state[field]
            assert before == old, (well.code, event.action, field)
            state[field] = datetime.date.fromisoformat(new) if field in TRACKED_DATES and new else new
        state["status"] = event.to_status
    return state, standing


def test_every_history_follows_the_state_machine_to_the_wells_state(generated):
    statuses, moves = set(), set()
    for well in generated.prefetch_related("events"):
        state, _standing = replay(well, moves)
        assert well.status == state["status"]
        assert tuple(getattr(well, field) for field in TRACKED) == tuple(state[field] for field in TRACKED)
        assert well.version == well.events.count() + 1
        statuses.add(well.status)
    # Every state, and the moves whose checks above would otherwise go untried.
    assert statuses == set(Status)
    assert {
        (Action.DISCONNECT, Status.NOTIFIED, Status.DISCONNECTED),
        (Action.REVERT, Status.SEALED, Status.DISCONNECTED),
        (Action.ESCALATE, Status.NOTIFIED, Status.NOTIFIED),
        (Action.NOTIFY, Status.REACTIVATED, Status.NOTIFIED),
    } <= moves


def test_generated_facts_are_valid_wells(generated):
    today = timezone.localdate()
    for well in generated:
        well.full_clean()
        assert CHINA_LAT[0] <= well.lat <= CHINA_LAT[1] and CHINA_LNG[0] <= well.lng <= CHINA_LNG[1]
        assert well.depth_m > Decimal("0")
        assert (well.category == Category.RETAINED) == (Use.EMERGENCY in well.uses)
    licensed = generated.filter(category=Category.LICENSED)
    assert licensed.exists()
    assert not licensed.filter(license_no="").exists()
    assert not generated.filter(category=Category.UNLICENSED).exclude(license_no="").exists()
    assert not WellEvent.objects.filter(created_at__date__gt=today).exists()


def test_each_township_answers_for_its_wells_by_one_deadline_some_past_some_to_come(generated):
    deadlines = {}
    for well in generated.exclude(deadline=None).select_related("campaign"):
        assert well.campaign.issued_on < well.deadline <= well.campaign.deadline, well.code
        deadlines.setdefault((well.township_id, well.campaign_id), set()).add(well.deadline)
    assert {len(days) for days in deadlines.values()} == {1}
    # The overdue figures have wells on both sides of the clock's day.
    today = timezone.localdate()
    assert generated.filter(deadline__lt=today).exists()
    assert generated.filter(deadline__gte=today).exists()


def test_domestic_wells_had_their_replacement_supply_before_the_power_cut(generated):
    cut = {}  # code -> (supply connected on, power cut on)
    for well in generated.filter(uses__contains=f",{Use.DOMESTIC},").prefetch_related("events"):
        _state, standing = replay(well)
        cuts = [
            datetime.date.fromisoformat(e.data["disconnected_on"]) for e in standing if e.action == Action.DISCONNECT
        ]
        if cuts:
            cut[well.code] = (well.supply_connected_on, cuts[-1])
    assert len(cut) > 0
    assert {code: days for code, days in cut.items() if days[0] is None or days[0] > days[1]} == {}


def test_every_generated_well_is_in_staff_scope_and_each_in_one_officers(generated, staff):
    assert Well.objects.visible_to(staff).count() == 200
    unit = generated.first().responsible_unit
    officer = UserFactory(username="gen_officer", unit=unit, role=Role.TOWNSHIP_OFFICER)
    seen = Well.objects.visible_to(officer)
    assert seen.count() == generated.filter(responsible_unit=unit).count() > 0
    assert not seen.exclude(responsible_unit=unit).exists()


def test_summary_counts_add_up_to_the_generated_wells(generated):
    totals = Well.objects.summary_counts()
    assert totals["total"] == 200
    assert totals["accepted"] == generated.filter(status=Status.ACCEPTED).count()
    assert totals["retained"] == generated.filter(status=Status.RETAINED).count()
    # DESIGN §3: overdue is not accepted, not retained, and past its deadline.
    today = timezone.localdate()
    overdue = [
        w
        for w in generated
        if w.status not in {Status.ACCEPTED, Status.RETAINED} and w.deadline is not None and w.deadline < today
    ]
    assert totals["overdue"] == len(overdue) > 0
    by_unit = Well.objects.summary_by_unit()
    for name in ("total", "retained", "accepted", "sealed", "overdue", "to_close"):
        assert sum(row[name] for row in by_unit) == totals[name]


def test_the_real_workflow_can_revert_a_generated_action(generated, admin_user):
    well = generated.filter(status=Status.SEALED).first()
    last = effective_events(well)[-1]
    reverted = perform(well, Action.REVERT, actor=admin_user, data={"reason": "测试"}, version=well.version)
    assert reverted.status == last.from_status == Status.DISCONNECTED
    assert reverted.events.order_by("-pk").first().data["reverted_event"] == last.pk


def test_the_search_finds_exactly_the_wells_holding_the_term(generated, staff):
    """Short terms go through the tripled-text indexes on PostgreSQL; the
    rows must be the same as a plain substring test."""
    well = generated.filter(owner_kind="person").first()
    terms = [well.owner_name[:2], well.owner_name[-1], well.village[:2], well.code[-3:], "jj-0", "0", "村", "无此人"]
    wells = list(generated)
    for term in terms:
        found = WellFilterSet({"q": term}, queryset=Well.objects.visible_to(staff)).qs
        expected = {
            w.code for w in wells if any(term.upper() in text.upper() for text in (w.code, w.owner_name, w.village))
        }
        assert set(found.values_list("code", flat=True)) == expected, term


def test_a_second_run_adds_wells_with_new_codes(generated):
    call_command("generate_wells", count=50, seed=8, stdout=io.StringIO())
    assert Well.objects.count() == 250
    assert Well.objects.values("code").distinct().count() == 250
    # The sequences moved past the generated ids: an ordinary insert works.
    well = Well.objects.first()
    well.pk, well.code = None, "NEW-1"
    well.save()


def test_a_bad_count_is_refused_and_writes_nothing(db):
    with pytest.raises(CommandError, match="--count"):
        call_command("generate_wells", count=0)
    assert not Well.objects.exists()
