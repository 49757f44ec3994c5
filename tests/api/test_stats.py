"""GET /api/v1/stats/summary/: figures counted by the database, in scope,
under the well list's filters, so they match the list's counts."""

import datetime

import pytest

from tests.api.helpers import url
from tests.factories import CampaignFactory, WellFactory
from wells.choices import Category, Status

PAST = datetime.date(2023, 6, 1)


@pytest.fixture
def ledger(zhongshan, ningbian, campaign):
    """中山路: 2 accepted, 1 sealed, 1 overdue notified, 1 retained.
    宁边路: 1 accepted, 1 inventoried. Another campaign: 1 well."""
    for status in (Status.ACCEPTED, Status.ACCEPTED, Status.SEALED):
        WellFactory(township=zhongshan, campaign=campaign, status=status)
    WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED, deadline=PAST)
    WellFactory(township=zhongshan, campaign=campaign, status=Status.RETAINED, category=Category.RETAINED)
    WellFactory(township=ningbian, campaign=campaign, status=Status.ACCEPTED)
    WellFactory(township=ningbian, campaign=campaign, status=Status.INVENTORIED)
    WellFactory(township=ningbian, campaign=CampaignFactory(name="另一行动"), status=Status.INVENTORIED, deadline=PAST)


def test_the_summary_has_totals_and_one_row_per_responsible_unit(api, staff, ledger, campaign, zhongshan_unit):
    response = api(staff).get(url("stats-summary"), {"campaign": campaign.pk})

    assert response.status_code == 200
    body = response.json()
    assert body["totals"] == {
        "total": 7,
        "to_close": 6,
        "retained": 1,
        "accepted": 3,
        "sealed": 1,
        "overdue": 1,
        "completion_rate": 0.5,
    }
    rows = {row["unit_name"]: row for row in body["units"]}
    assert rows["中山路街道办事处"] == {
        "unit": zhongshan_unit.pk,
        "unit_name": "中山路街道办事处",
        "total": 5,
        "to_close": 4,
        "retained": 1,
        "accepted": 2,
        "sealed": 1,
        "overdue": 1,
        "completion_rate": 0.5,
    }
    assert rows["宁边路街道办事处"]["completion_rate"] == 0.5
    assert rows["宁边路街道办事处"]["total"] == 2


def test_without_a_campaign_the_summary_counts_every_campaign(api, staff, ledger):
    totals = api(staff).get(url("stats-summary")).json()["totals"]

    assert (totals["total"], totals["overdue"]) == (8, 2)


def test_an_officer_gets_the_figures_of_their_own_wells(api, officer, ledger):
    body = api(officer).get(url("stats-summary")).json()

    assert body["totals"]["total"] == 5
    assert [row["unit_name"] for row in body["units"]] == ["中山路街道办事处"]


@pytest.mark.parametrize(
    "params",
    [{}, {"status": ["accepted", "sealed"]}, {"township": "ningbianlu"}, {"overdue": "true"}, {"q": "TEST"}],
    ids=["all", "status", "township", "overdue", "q"],
)
def test_the_summary_matches_the_list_count_under_the_same_filters(api, staff, ledger, params):
    listed = api(staff).get(url("well-list"), params).json()["count"]
    summary = api(staff).get(url("stats-summary"), params).json()

    assert summary["totals"]["total"] == listed
    assert sum(row["total"] for row in summary["units"]) == listed


def test_nothing_to_close_has_no_completion_rate(api, staff, zhongshan, campaign):
    WellFactory(township=zhongshan, campaign=campaign, status=Status.RETAINED, category=Category.RETAINED)

    totals = api(staff).get(url("stats-summary")).json()["totals"]

    assert totals["completion_rate"] is None


def test_a_bad_filter_is_400(api, staff, ledger):
    response = api(staff).get(url("stats-summary"), {"campaign": "abc"})

    assert response.status_code == 400
    assert list(response.json()) == ["campaign"]


@pytest.mark.parametrize("wells", [5, 50])
def test_the_summary_costs_the_same_queries_for_5_and_50_wells(
    api, staff, zhongshan, ningbian, campaign, wells, django_assert_max_num_queries
):
    WellFactory.create_batch(wells, township=zhongshan, campaign=campaign)
    WellFactory.create_batch(wells, township=ningbian, campaign=campaign, status=Status.ACCEPTED)
    client = api(staff)

    # Token with user, groups, the totals, the rows per unit.
    with django_assert_max_num_queries(4):
        response = client.get(url("stats-summary"))

    assert response.json()["totals"]["total"] == 2 * wells
