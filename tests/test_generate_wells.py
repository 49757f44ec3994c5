"""``manage.py generate_wells``: synthetic wells whose histories the real
workflow would have written (COPY on PostgreSQL, bulk_create on SQLite).

The generator dates its campaigns from today: the clock stands at
2023-06-15, so that seed 7 gives the same ledger whatever day the suite
runs."""

import datetime
import io
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import Role, UnitKind
from accounts.models import Division, Unit, User
from tests.factories import UserFactory
from wells.choices import TRANSITIONS, Action, Category, Status, Use
from wells.filtersets import WellFilterSet
from wells.models import CHINA_LAT, CHINA_LNG, Campaign, Township, Well, WellEvent
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


# A region's ledger (--region) -------------------------------------------------


def region_summary(user, **query):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    response = client.get("/api/v1/stats/summary/", query)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_regions_wells_lie_under_their_campaigns_bureaus_across_the_real_divisions(db):
    call_command("generate_wells", count=2000, region="65", seed=7, stdout=io.StringIO())
    divisions = {d.path: d for d in Division.objects.all()}
    assert len(divisions) == 1529  # accounts/data/divisions_65.csv, loaded by the command
    # A bureau for the region, each prefecture (but 6590, cities under the
    # region itself) and each county, each with its staff and leader.
    bureaus = {u.division.path: u for u in Unit.objects.filter(kind=UnitKind.BUREAU).select_related("division")}
    expected = {p for p, d in divisions.items() if d.level != "township" and p != "6590"}
    assert set(bureaus) == expected and len(expected) == 1 + 14 + 108
    for path, bureau in bureaus.items():
        for prefix, role in (("staff", Role.BUREAU_STAFF), ("leader", Role.LEADER)):
            user = User.objects.get(username=f"{prefix}_{path}")
            assert (user.unit, user.role) == (bureau, role)
            assert not user.has_usable_password()
    # Every campaign is a county bureau's, every township division a township.
    campaigns = list(Campaign.objects.select_related("bureau__division"))
    assert len(campaigns) == 108
    assert {c.bureau.division.level for c in campaigns} == {"county"}
    assert all(c.lead_unit_id == c.bureau_id for c in campaigns)
    assert Township.objects.filter(division__level="township").count() == 1405
    assert Well.objects.count() == 2000
    assert not Well.objects.filter(township__division=None).exists()
    strays = Well.objects.exclude(township__division__path__startswith=F("campaign__bureau__division__path"))
    assert list(strays.values_list("code", flat=True)) == []
    # Each well answers to its township's government or to its campaign's bureau.
    for well in Well.objects.select_related("township", "campaign"):
        assert well.responsible_unit_id in (well.township.government_id, well.campaign.bureau_id), well.code
    for well in Well.objects.order_by("pk")[:50]:
        well.full_clean()
        # Xinjiang, a township within 0.08° of its centre.
        assert Decimal("35.9") <= well.lat <= Decimal("48.1") and Decimal("74.9") <= well.lng <= Decimal("95.1")
        assert well.license_no == "" or well.license_no.startswith("取水(新)字")
    # Uneven: a few counties hold many times the wells of the median one.
    per_county = sorted(
        Counter(path[:6] for path in Well.objects.values_list("township__division__path", flat=True)).values()
    )
    assert per_county[-1] > 5 * per_county[len(per_county) // 2]
    # Each bureau reads its own subtree: a county its county, the
    # prefecture its counties, the region everything.
    county = max(
        Counter(Well.objects.values_list("campaign__bureau__division__path", flat=True)).items(), key=lambda i: i[1]
    )[0]
    for path in ("65", county[:4], county):
        for prefix in ("staff", "leader"):
            seen = Well.objects.visible_to(User.objects.get(username=f"{prefix}_{path}"))
            assert seen.count() == Well.objects.filter(township__division__path__startswith=path).count() > 0


def test_a_regions_figures_roll_up_from_township_to_region(db):
    call_command("generate_wells", count=1500, region="6523", seed=7, stdout=io.StringIO())
    region = User.objects.get(username="leader_65")
    assert Well.objects.visible_to(region).count() == 1500
    for path in (
        "65",
        "6523",
        *Division.objects.filter(path__startswith="6523", level="county").values_list("path", flat=True),
    ):
        data = region_summary(region, division=path)
        assert data["totals"]["total"] == Well.objects.filter(township__division__path__startswith=path).count()
        assert data["divisions"], path
        for name in ("total", "accepted", "sealed", "retained", "overdue", "to_close"):
            assert sum(row[name] for row in data["divisions"]) == data["totals"][name], (path, name)
        for row in data["divisions"]:
            assert row["path"] is not None and row["path"].startswith(path)
            assert row["total"] == Well.objects.filter(township__division__path__startswith=row["path"]).count()
    # The prefecture's leader starts at the prefecture and drills down its counties.
    prefecture = region_summary(User.objects.get(username="leader_6523"))
    assert prefecture["division"]["path"] == "6523"
    assert len(prefecture["divisions"]) == 7 and prefecture["totals"]["total"] == 1500
    # A county's bureau sees only its own county's wells.
    county = prefecture["divisions"][0]["path"]
    own = region_summary(User.objects.get(username=f"staff_{county}"), division="6523")
    assert [row["path"] for row in own["divisions"]] == [county]
    assert own["totals"]["total"] == prefecture["divisions"][0]["total"]


def snapshot():
    """The generated ledger by its natural keys (the ids of townships and
    campaigns come from sequences, which a rollback does not move back)."""
    wells = Well.objects.order_by("pk").values_list(
        "code", "owner_name", "township__code", "campaign__name", "responsible_unit__name", "status", "deadline", "lat"
    )
    events = WellEvent.objects.order_by("pk").values_list("well__code", "action", "created_at", "data")
    return list(wells), list(events)


class Rollback(Exception):
    pass


def generate_and_roll_back(**options):
    try:
        with transaction.atomic():
            call_command("generate_wells", count=300, region="6523", stdout=io.StringIO(), **options)
            taken = snapshot()
            raise Rollback
    except Rollback:
        pass
    assert not Well.objects.exists() and not Campaign.objects.exists()
    return taken


def test_a_regions_ledger_is_the_same_for_the_same_seed(db):
    first = generate_and_roll_back(seed=7)
    assert len(first[0]) == 300 and first[1]
    assert generate_and_roll_back(seed=7) == first
    assert generate_and_roll_back(seed=8)[0] != first[0]


def test_a_second_region_run_reuses_the_bureaus_townships_and_campaigns(db):
    call_command("generate_wells", count=200, region="6523", seed=7, stdout=io.StringIO())
    counts = (Unit.objects.count(), User.objects.count(), Township.objects.count(), Campaign.objects.count())
    call_command("generate_wells", count=100, region="6523", seed=8, stdout=io.StringIO())
    assert (Unit.objects.count(), User.objects.count(), Township.objects.count(), Campaign.objects.count()) == counts
    assert Well.objects.count() == 300 == Well.objects.values("code").distinct().count()


def test_the_region_joins_the_demos_bureaus_instead_of_copying_them(db):
    call_command("load_demo", stdout=io.StringIO())
    call_command("generate_wells", count=300, region="6523", seed=7, stdout=io.StringIO())
    changji = Unit.objects.get(name="昌吉市水利局")
    assert list(Unit.objects.filter(kind=UnitKind.BUREAU, division__path="652301")) == [changji]
    assert Unit.objects.filter(kind=UnitKind.BUREAU, division__path="6523").get().name == "昌吉州水利局"
    assert Campaign.objects.filter(bureau=changji).count() == 2  # the demo's and the generated one
    # The demo's prefecture leader reads every county's generated wells.
    prefecture = User.objects.get(username="prefecture")
    generated = Well.objects.filter(code__startswith="JJ-")
    assert Well.objects.visible_to(prefecture).filter(code__startswith="JJ-").count() == generated.count() == 300


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"region": "99"}, "--region"),
        ({"region": "652301005"}, "--region"),
        ({"region": "65", "townships": 5}, "--townships"),
        ({"region": "65", "campaigns": 9}, "--campaigns"),
    ],
)
def test_a_bad_region_is_refused_and_writes_nothing(db, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("generate_wells", count=10, stdout=io.StringIO(), **options)
    assert not Well.objects.exists() and not Campaign.objects.exists()
    assert not Unit.objects.filter(kind=UnitKind.BUREAU).exists()
