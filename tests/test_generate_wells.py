"""``manage.py generate_wells``: synthetic wells whose histories the real
workflow would have written (COPY on PostgreSQL, bulk_create on SQLite)."""

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

TRACKED_DATES = ("comply_by", "review_on", "accepted_on")
TRACKED = ("enforced", *TRACKED_DATES)


@pytest.fixture
def generated(db):
    call_command("generate_wells", count=200, seed=7, stdout=io.StringIO())
    return Well.objects.order_by("pk")


def replay(well):
    """Walk the well's events from an inventoried well, checking each move
    against TRANSITIONS; the state the history leads to."""
    state = dict.fromkeys(TRACKED_DATES, None) | {"status": Status.INVENTORIED, "enforced": False}
    standing = []
    for event in well.events.order_by("pk"):
        assert event.from_status == state["status"], (well.code, event.action)
        sources, target = TRANSITIONS[event.action]
        assert event.from_status in sources, (well.code, event.action)
        if event.action == Action.REVERT:
            undone = standing.pop()
            assert event.data["reverted_event"] == undone.pk
            assert event.to_status == undone.from_status
        else:
            assert event.to_status == (target or event.from_status), (well.code, event.action)
            standing.append(event)
        if event.action == Action.DISCONNECT and event.from_status == Status.NOTIFIED:
            assert not well.license_no, f"{well.code} lost power with its licence still valid"
        for field, (old, new) in event.changes.items():
            before = state[field].isoformat() if isinstance(state[field], datetime.date) else state[field]
            assert before == old, (well.code, event.action, field)
            state[field] = datetime.date.fromisoformat(new) if field in TRACKED_DATES and new else new
        state["status"] = event.to_status
    return state, standing


def test_every_history_follows_the_state_machine_to_the_wells_state(generated):
    statuses = set()
    for well in generated.prefetch_related("events"):
        state, _standing = replay(well)
        assert well.status == state["status"]
        assert tuple(getattr(well, field) for field in TRACKED) == tuple(state[field] for field in TRACKED)
        assert well.version == well.events.count() + 1
        statuses.add(well.status)
    # A spread of states, not one.
    assert {Status.INVENTORIED, Status.NOTIFIED, Status.ACCEPTED, Status.RETAINED} <= statuses


def test_generated_facts_are_valid_wells(generated):
    today = timezone.localdate()
    for well in generated:
        well.full_clean()
        assert CHINA_LAT[0] <= well.lat <= CHINA_LAT[1] and CHINA_LNG[0] <= well.lng <= CHINA_LNG[1]
        assert well.depth_m > Decimal("0")
        assert (well.category == Category.RETAINED) == (Use.EMERGENCY in well.uses)
        if well.category == Category.LICENSED:
            assert well.license_no
    assert not WellEvent.objects.filter(created_at__date__gt=today).exists()
    assert generated.filter(deadline__lt=today).exists() or generated.filter(deadline__gte=today).exists()


def test_domestic_wells_had_their_replacement_supply_before_the_power_cut(generated):
    for well in generated.filter(uses__contains=f",{Use.DOMESTIC},").prefetch_related("events"):
        _state, standing = replay(well)
        cuts = [event for event in standing if event.action == Action.DISCONNECT]
        if cuts:
            assert well.supply_connected_on is not None
            assert well.supply_connected_on <= datetime.date.fromisoformat(cuts[-1].data["disconnected_on"])


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
    assert totals["overdue"] == generated.overdue().count()
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
