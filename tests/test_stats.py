"""The dashboard's figures (DESIGN §3): completion rate = accepted ÷ (wells −
retained), overdue = not accepted, not retained and today past the
deadline, "today" being the date in Shanghai. The clock is always set."""

import datetime
import itertools
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import CampaignFactory, WellFactory
from wells.choices import SETTLED_STATUSES, Status
from wells.models import Well

SHANGHAI = ZoneInfo("Asia/Shanghai")
DEADLINE = datetime.date(2023, 11, 30)


@pytest.fixture(autouse=True)
def clock(time_machine):
    """Five days past the 2023-11-30 deadline, mid-morning in Shanghai: in
    place of the shared clock (2023-06-15, before it), since these figures
    need wells that are overdue."""
    time_machine.move_to(datetime.datetime(2023, 12, 5, 10, 0, tzinfo=SHANGHAI))
    return time_machine


@pytest.fixture
def make_wells(zhongshan, campaign):
    def make(*statuses, township=zhongshan, deadline=DEADLINE, **fields):
        return [
            WellFactory(township=township, campaign=campaign, status=status, deadline=deadline, **fields)
            for status in statuses
        ]

    return make


def figures(**counts):
    """A summary as summary_counts gives it, with to_close and the rate worked out."""
    to_close = counts["total"] - counts["retained"]
    rate = round(counts["accepted"] / to_close, 4) if to_close else None
    return {**counts, "to_close": to_close, "completion_rate": rate}


# Completion rate ---------------------------------------------------------------


def test_completion_rate_is_accepted_over_the_wells_to_close(make_wells):
    make_wells(Status.ACCEPTED, Status.ACCEPTED, Status.RETAINED, Status.SEALED, Status.NOTIFIED, Status.INVENTORIED)

    summary = Well.objects.summary_counts()

    assert summary == figures(total=6, retained=1, accepted=2, sealed=1, overdue=3)
    assert summary["to_close"] == 5
    assert summary["completion_rate"] == 0.4


def test_completion_rate_is_rounded_to_four_places(make_wells):
    make_wells(Status.ACCEPTED, Status.SEALED, Status.DISCONNECTED)

    assert Well.objects.summary_counts()["completion_rate"] == 0.3333


def test_completion_rate_is_one_when_every_well_to_close_is_accepted(make_wells):
    make_wells(Status.ACCEPTED, Status.ACCEPTED, Status.RETAINED)

    assert Well.objects.summary_counts()["completion_rate"] == 1.0


def test_completion_rate_is_none_when_every_well_is_retained(make_wells):
    make_wells(Status.RETAINED, Status.RETAINED)

    summary = Well.objects.summary_counts()

    assert (summary["total"], summary["to_close"], summary["completion_rate"]) == (2, 0, None)


def test_the_figures_of_an_empty_ledger_are_zero_with_no_rate(db):
    assert Well.objects.summary_counts() == figures(total=0, retained=0, accepted=0, sealed=0, overdue=0)
    assert Well.objects.summary_by_unit() == []


def test_a_reactivated_well_no_longer_counts_as_accepted(make_wells):
    make_wells(Status.ACCEPTED, Status.REACTIVATED)

    summary = Well.objects.summary_counts()

    assert (summary["accepted"], summary["completion_rate"]) == (1, 0.5)


def test_the_figures_of_a_campaign_leave_out_other_campaigns(make_wells):
    make_wells(Status.ACCEPTED, Status.NOTIFIED)
    other = CampaignFactory(name="另一次行动")
    WellFactory(campaign=other, status=Status.ACCEPTED)
    campaign = Well.objects.exclude(campaign=other).first().campaign

    summary = Well.objects.filter(campaign=campaign).summary_counts()

    assert (summary["total"], summary["accepted"], summary["completion_rate"]) == (2, 1, 0.5)


# Overdue -----------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_a_well_past_its_deadline_is_overdue_unless_accepted_or_retained(make_wells, status):
    (well,) = make_wells(status)
    expected = status not in {Status.ACCEPTED, Status.RETAINED}

    assert well.is_overdue is expected
    assert Well.objects.overdue().filter(pk=well.pk).exists() is expected
    assert Well.objects.summary_counts()["overdue"] == int(expected)


def test_settled_statuses_are_exactly_accepted_and_retained():
    assert {Status.ACCEPTED, Status.RETAINED} == SETTLED_STATUSES


@pytest.mark.parametrize(
    ("deadline", "overdue"),
    [
        (datetime.date(2023, 12, 4), True),
        (datetime.date(2023, 12, 5), False),  # today: not yet past it
        (datetime.date(2023, 12, 6), False),
        (None, False),
    ],
    ids=str,
)
def test_overdue_means_today_is_past_the_deadline(make_wells, deadline, overdue):
    (well,) = make_wells(Status.NOTIFIED, deadline=deadline)

    assert well.is_overdue is overdue
    assert list(Well.objects.overdue()) == ([well] if overdue else [])
    assert Well.objects.summary_counts()["overdue"] == int(overdue)


@pytest.mark.parametrize(
    ("utc_moment", "overdue"),
    [
        # 23:59 on 30 November in Shanghai: the deadline day itself.
        (datetime.datetime(2023, 11, 30, 15, 59, tzinfo=datetime.UTC), False),
        # 00:30 on 1 December in Shanghai, still 30 November in UTC.
        (datetime.datetime(2023, 11, 30, 16, 30, tzinfo=datetime.UTC), True),
    ],
    ids=["shanghai-23:59-on-the-deadline", "shanghai-00:30-next-day-utc-still-the-deadline"],
)
def test_today_is_the_shanghai_date_near_midnight_utc(make_wells, utc_moment, overdue):
    (well,) = make_wells(Status.SEALED, deadline=DEADLINE)

    with time_machine.travel(utc_moment, tick=False):
        assert well.is_overdue is overdue
        assert Well.objects.overdue().count() == int(overdue)
        assert Well.objects.summary_counts()["overdue"] == int(overdue)
        assert Well.objects.summary_by_unit()[0]["overdue"] == int(overdue)


def test_the_figures_may_be_taken_as_of_another_day(make_wells):
    make_wells(Status.NOTIFIED, Status.SEALED, deadline=DEADLINE)

    assert Well.objects.summary_counts(today=DEADLINE)["overdue"] == 0
    assert Well.objects.summary_counts(today=DEADLINE + datetime.timedelta(days=1))["overdue"] == 2
    assert Well.objects.overdue(today=DEADLINE).count() == 0
    assert Well.objects.summary_by_unit(today=DEADLINE)[0]["overdue"] == 0


# By responsible unit -----------------------------------------------------------


def test_summary_by_unit_gives_one_row_per_responsible_unit(
    make_wells, ningbian, zhongshan_unit, ningbian_unit, bureau
):
    make_wells(Status.ACCEPTED, Status.SEALED, Status.NOTIFIED)
    make_wells(Status.ACCEPTED, Status.RETAINED, township=ningbian)
    make_wells(Status.RETAINED, responsible_unit=bureau)

    rows = Well.objects.summary_by_unit()

    assert rows == sorted(rows, key=lambda row: row["responsible_unit__name"])
    by_name = {row["responsible_unit__name"]: row for row in rows}
    assert set(by_name) == {"中山路街道办事处", "宁边路街道办事处", "市水利局"}
    assert by_name["中山路街道办事处"] == {
        "responsible_unit_id": zhongshan_unit.pk,
        "responsible_unit__name": "中山路街道办事处",
        **figures(total=3, retained=0, accepted=1, sealed=1, overdue=2),
    }
    assert by_name["宁边路街道办事处"] == {
        "responsible_unit_id": ningbian_unit.pk,
        "responsible_unit__name": "宁边路街道办事处",
        **figures(total=2, retained=1, accepted=1, sealed=0, overdue=0),
    }
    assert by_name["市水利局"]["completion_rate"] is None


def test_the_unit_rows_add_up_to_the_totals(make_wells, ningbian, bureau):
    make_wells(Status.ACCEPTED, Status.SEALED, Status.NOTIFIED, Status.RETAINED)
    make_wells(Status.ACCEPTED, Status.DISCONNECTED, township=ningbian, deadline=None)
    make_wells(Status.INVENTORIED, responsible_unit=bureau)

    totals = Well.objects.summary_counts()
    rows = Well.objects.summary_by_unit()

    for name in ("total", "retained", "accepted", "sealed", "overdue", "to_close"):
        assert sum(row[name] for row in rows) == totals[name], name


def test_the_figures_respect_the_users_scope(make_wells, ningbian, officer, leader, member):
    make_wells(Status.ACCEPTED, Status.NOTIFIED)
    make_wells(Status.ACCEPTED, Status.ACCEPTED, Status.SEALED, township=ningbian)

    assert Well.objects.visible_to(officer).summary_counts()["total"] == 2
    assert [row["responsible_unit__name"] for row in Well.objects.visible_to(officer).summary_by_unit()] == [
        "中山路街道办事处"
    ]
    assert Well.objects.visible_to(leader).summary_counts()["total"] == 5
    assert Well.objects.visible_to(member).summary_counts()["completion_rate"] is None


def test_each_figure_is_one_query(make_wells, ningbian, django_assert_num_queries):
    make_wells(Status.ACCEPTED, Status.NOTIFIED)
    make_wells(Status.SEALED, township=ningbian)

    with django_assert_num_queries(1):  # one aggregate over the wells
        Well.objects.summary_counts()
    with django_assert_num_queries(1):  # one GROUP BY responsible unit, joined to its name
        Well.objects.summary_by_unit()


def test_the_figures_equal_counting_the_wells_one_by_one(make_wells, ningbian, bureau):
    deadlines = [None, datetime.date(2023, 6, 30), datetime.date(2023, 12, 4), datetime.date(2023, 12, 5), DEADLINE]
    places = [{}, {"township": ningbian}, {"responsible_unit": bureau}]
    for (status, deadline), place in zip(itertools.product(Status, deadlines), itertools.cycle(places), strict=False):
        make_wells(status, deadline=deadline, **place)

    def count(wells):
        accepted = sum(well.status == Status.ACCEPTED for well in wells)
        retained = sum(well.status == Status.RETAINED for well in wells)
        return figures(
            total=len(wells),
            retained=retained,
            accepted=accepted,
            sealed=sum(well.status == Status.SEALED for well in wells),
            overdue=sum(well.is_overdue for well in wells),
        )

    wells = list(Well.objects.select_related("responsible_unit"))
    assert len(wells) == len(Status) * len(deadlines)
    assert Well.objects.summary_counts() == count(wells)
    assert {row["responsible_unit__name"]: row for row in Well.objects.summary_by_unit()} == {
        unit.name: {
            "responsible_unit_id": unit.pk,
            "responsible_unit__name": unit.name,
            **count([well for well in wells if well.responsible_unit == unit]),
        }
        for unit in {well.responsible_unit for well in wells}
    }
    overdue_by_hand = {well.pk for well in wells if well.is_overdue}
    assert set(Well.objects.overdue().values_list("pk", flat=True)) == overdue_by_hand
    assert 0 < len(overdue_by_hand) < len(wells)
