"""The well tally (wells.models.WellTally): figures kept by database triggers
must equal a count of the wells after every kind of write, under every
filter the tally answers, on SQLite (row triggers) and PostgreSQL
(statement triggers over transition tables) alike."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import QueryDict

from accounts.choices import Role
from tests.factories import UserFactory, WellFactory
from wells import tally
from wells.choices import Action, Category, Status
from wells.filtersets import WellFilterSet
from wells.models import Campaign, Township, Well, WellTally
from wells.workflow import perform


@pytest.fixture
def ledger(db):
    """A few hundred wells over townships, units, campaigns, states and
    deadlines, as generate_wells makes them."""
    call_command("generate_wells", count=300, townships=4, campaigns=2, seed=11, stdout=io.StringIO())
    return Well.objects.order_by("pk")


@pytest.fixture
def bureau_user(db):
    return UserFactory(username="tally-staff", role=Role.BUREAU_STAFF)


def agrees():
    assert tally.differences() == []
    return True


def test_generate_wells_leaves_a_compact_tally_that_agrees(ledger):
    assert agrees()
    groups = Well.objects.values(*tally.KEY).distinct().count()
    assert WellTally.objects.count() == groups


def test_the_tally_follows_every_kind_of_write(ledger, bureau_user):
    administrator = UserFactory(username="tally-admin", role=Role.BUREAU_ADMIN)
    inventoried = list(ledger.filter(status=Status.INVENTORIED)[:3])
    for well in inventoried:
        perform(
            well,
            Action.NOTIFY,
            actor=bureau_user,
            data={"notice_no": "通知1号", "served_on": "2020-01-02", "comply_by": "2020-02-01"},
        )
    assert agrees()
    perform(inventoried[0], Action.REVERT, actor=administrator, data={"reason": "录错"})
    assert agrees()

    # Bulk updates of every grouped column, and of the position.
    ids = list(ledger.values_list("pk", flat=True)[:40])
    Well.objects.filter(pk__in=ids[:10]).update(status=Status.SEALED)
    Well.objects.filter(pk__in=ids[10:20]).update(deadline=datetime.date(2031, 1, 31))
    Well.objects.filter(pk__in=ids[20:25]).update(deadline=None, category=Category.LICENSED)
    other_township = Township.objects.exclude(pk=ledger.first().township_id).first()
    Well.objects.filter(pk__in=ids[25:30]).update(township=other_township, responsible_unit=other_township.government)
    Well.objects.filter(pk__in=ids[30:35]).update(lat=None, lng=None)
    Well.objects.filter(pk__in=ids[35:40]).update(campaign=Campaign.objects.order_by("-pk").first())
    assert agrees()

    # An update that moves no well between groups adds no row.
    rows = WellTally.objects.count()
    Well.objects.filter(pk__in=ids).update(note="核查")
    assert WellTally.objects.count() == rows

    # Saving one well, creating some in bulk, deleting one.
    well = ledger.last()
    well.status = Status.ACCEPTED
    well.lat = Decimal("40.5")
    well.save()
    template = ledger.first()
    Well.objects.bulk_create(
        [
            WellFactory.build(
                code=f"NEW-{n}",
                township=template.township,
                responsible_unit=template.responsible_unit,
                campaign=template.campaign,
            )
            for n in range(25)
        ]
    )
    assert agrees()
    WellFactory(township=template.township, campaign=template.campaign, code="GONE-1").delete()
    assert agrees()


FILTERS = [
    {},
    {"status": ["accepted"]},
    {"status": ["notified", "sealed"]},
    {"overdue": "true"},
    {"overdue": "false"},
    {"category": "licensed"},
    {"deadline_after": "2025-01-01"},
    {"deadline_before": "2025-12-31", "status": ["inventoried"]},
    {"ordering": "-deadline"},
]


def _query(data):
    query = QueryDict(mutable=True)
    for name, value in data.items():
        query.setlist(name, value if isinstance(value, list) else [value])
    return query


@pytest.mark.parametrize("data", FILTERS, ids=lambda data: "&".join(f"{k}={v}" for k, v in data.items()) or "all")
def test_figures_from_the_tally_equal_a_count_of_the_wells(ledger, bureau_user, data):
    campaign = Campaign.objects.order_by("pk").first()
    township = Township.objects.order_by("pk").first()
    officer = UserFactory(username="tally-officer", role=Role.TOWNSHIP_OFFICER, unit=township.government)
    for user, extra in [
        (bureau_user, {}),
        (bureau_user, {"campaign": str(campaign.pk)}),
        (bureau_user, {"township": township.code}),
        (bureau_user, {"unit": str(township.government_id)}),
        (officer, {}),
    ]:
        filterset = WellFilterSet(_query({**data, **extra}), queryset=Well.objects.visible_to(user))
        assert filterset.is_valid(), filterset.errors
        figures = tally.figures(filterset, user)
        assert figures.model is WellTally
        wells = filterset.qs
        assert figures.summary() == wells.summary()
        assert figures.status_counts() == wells.status_counts()
        assert figures.to_close_by_deadline() == wells.to_close_by_deadline()
        assert figures.by_township() == wells.by_township()
        assert figures.summary()[0]["total"] == wells.count()


def test_figures_count_the_wells_where_the_tally_cannot_say(ledger, bureau_user):
    member = UserFactory(username="tally-member", role=Role.UNIT_MEMBER, unit=ledger.first().responsible_unit)
    for user, data in [(bureau_user, {"q": "村"}), (bureau_user, {"use": "domestic"}), (member, {})]:
        filterset = WellFilterSet(_query(data), queryset=Well.objects.visible_to(user))
        assert filterset.is_valid()
        assert tally.figures(filterset, user).model is Well


def test_compact_folds_the_rows_and_keeps_the_figures(ledger):
    before = WellTally.objects.summary()
    Well.objects.filter(pk__in=ledger.values("pk")[:50]).update(status=Status.DISCONNECTED)
    Well.objects.filter(status=Status.DISCONNECTED).update(status=Status.SEALED)
    grown = WellTally.objects.count()

    rows_before, rows_after = tally.compact()

    assert rows_before == grown
    assert rows_after == WellTally.objects.count() == Well.objects.values(*tally.KEY).distinct().count()
    assert WellTally.objects.filter(wells__lte=0).count() == 0
    assert agrees()
    assert WellTally.objects.summary() != before  # the moves are still counted
    assert WellTally.objects.summary() == Well.objects.summary()


def test_compact_of_an_empty_tally_does_nothing(db):
    assert tally.compact() == (0, 0)


def test_check_finds_a_wrong_tally_and_rebuild_mends_it(ledger):
    well = ledger.first()
    WellTally.objects.create(
        campaign_id=well.campaign_id,
        township_id=well.township_id,
        responsible_unit_id=well.responsible_unit_id,
        category=well.category,
        status=well.status,
        deadline=well.deadline,
        wells=3,
        located=3,
        lat_sum=Decimal("120"),
        lng_sum=Decimal("345"),
    )
    with pytest.raises(CommandError, match="differs from the wells in 1 groups"):
        call_command("well_tally", "check", stdout=io.StringIO(), stderr=io.StringIO())

    call_command("well_tally", "rebuild", stdout=io.StringIO())

    out = io.StringIO()
    call_command("well_tally", "check", stdout=out)
    assert "agrees" in out.getvalue()


def test_compact_command_reports_the_rows(ledger):
    Well.objects.filter(pk=ledger.first().pk).update(status=Status.RETAINED)
    out = io.StringIO()
    call_command("well_tally", "compact", stdout=out)
    assert "Well tally compacted" in out.getvalue()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="statement triggers are PostgreSQL's")
def test_a_statement_adds_one_row_per_group_it_touches(ledger):
    tally.compact()
    rows = WellTally.objects.count()
    moved = ledger.filter(status=Status.ACCEPTED)
    groups = moved.values(*tally.KEY).distinct().count()
    moved.update(status=Status.REACTIVATED)
    # -1 rows for the groups they left, +1 rows for the groups they joined.
    assert WellTally.objects.count() == rows + 2 * groups


@pytest.mark.django_db(transaction=True)
def test_flushing_the_database_leaves_an_empty_tally():
    call_command("generate_wells", count=30, townships=3, campaigns=1, stdout=io.StringIO())
    assert WellTally.objects.exists()

    call_command("flush", interactive=False, verbosity=0)

    assert not Well.objects.exists()
    assert not WellTally.objects.exists()
