"""The lists that had no pages — the 回头看 due list, publicity records,
monitoring wells and their readings — answer a page at a time (DESIGN §5's
``{"next", "previous", "results"}``), in a fixed number of queries however
many rows there are, and a filter they document is applied or refused,
never ignored."""

import datetime

import pytest
from rest_framework.test import APIClient

from tasks.choices import PublicityKind
from tasks.models import GroundwaterReading, MonitoringWell, PublicityRecord
from tests.api.helpers import url
from tests.factories import CampaignFactory, WellFactory
from wells.choices import Status

pytestmark = pytest.mark.django_db

DAY = datetime.date(2023, 3, 1)


def client(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def accepted_wells(count, township, campaign):
    return WellFactory.create_batch(count, township=township, campaign=campaign, status=Status.ACCEPTED)


def publicity(count, campaign, unit):
    PublicityRecord.objects.bulk_create(
        PublicityRecord(
            campaign=campaign, unit=unit, kind=PublicityKind.values[0], count=1, held_on=DAY + datetime.timedelta(n)
        )
        for n in range(count)
    )


def readings(count):
    station = MonitoringWell.objects.create(code=f"MW-{count}", name="监测井", lat=44.0, lng=87.3)
    GroundwaterReading.objects.bulk_create(
        GroundwaterReading(monitoring_well=station, measured_on=DAY + datetime.timedelta(n), depth_to_water_m=30)
        for n in range(count)
    )


def stations(count):
    MonitoringWell.objects.bulk_create(
        MonitoringWell(code=f"MW-{n:03d}", name="监测井", lat=44.0, lng=87.3) for n in range(count)
    )


def walk(api, name, **params):
    """Every row of a list, page by page; the pages seen."""
    rows, pages = [], 0
    response = api.get(url(name), {"page_size": 2, **params})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) >= {"next", "previous", "results"}
        rows += body["results"]
        pages += 1
        if not body["next"]:
            return rows, pages
        response = api.get(body["next"])


def test_the_wells_due_for_inspection_come_a_page_at_a_time(staff, zhongshan, campaign):
    wells = accepted_wells(5, zhongshan, campaign)

    rows, pages = walk(client(staff), "inspection-due-list")

    assert [row["code"] for row in rows] == sorted(well.code for well in wells)
    assert pages == 3


def test_the_wells_due_for_inspection_are_those_of_the_campaign_asked_for(staff, zhongshan, campaign):
    accepted_wells(2, zhongshan, campaign)
    other = CampaignFactory()
    theirs = accepted_wells(1, zhongshan, other)

    body = client(staff).get(url("inspection-due-list"), {"campaign": other.pk}).json()

    assert [row["code"] for row in body["results"]] == [theirs[0].code]
    assert len(client(staff).get(url("inspection-due-list"), {"campaign": ""}).json()["results"]) == 3


@pytest.mark.parametrize("value", ["一", "1.5", "-1", "1 OR 1=1"])
def test_a_campaign_that_is_no_id_is_refused_not_ignored(staff, value):
    response = client(staff).get(url("inspection-due-list"), {"campaign": value})

    assert response.status_code == 400
    assert "campaign" in response.json()


def test_an_officer_s_due_list_holds_only_their_own_wells(officer, zhongshan, ningbian, campaign):
    own = accepted_wells(2, zhongshan, campaign)
    accepted_wells(2, ningbian, campaign)

    rows, _pages = walk(client(officer), "inspection-due-list")

    assert sorted(row["code"] for row in rows) == sorted(well.code for well in own)


def test_publicity_comes_newest_first_a_page_at_a_time(staff, campaign, zhongshan_unit):
    publicity(5, campaign, zhongshan_unit)

    rows, pages = walk(client(staff), "publicity-list")

    assert [row["held_on"] for row in rows] == [str(DAY + datetime.timedelta(n)) for n in range(4, -1, -1)]
    assert pages == 3


def test_readings_come_oldest_first_a_page_at_a_time(staff):
    readings(5)

    rows, pages = walk(client(staff), "groundwater-reading-list")

    assert [row["measured_on"] for row in rows] == [str(DAY + datetime.timedelta(n)) for n in range(5)]
    assert pages == 3


def test_monitoring_wells_come_by_code_a_page_at_a_time(staff):
    stations(5)

    rows, pages = walk(client(staff), "monitoring-well-list")

    assert [row["code"] for row in rows] == [f"MW-{n:03d}" for n in range(5)]
    assert pages == 3


@pytest.mark.parametrize("count", [5, 50])
def test_the_lists_cost_the_same_queries_for_5_rows_or_50(
    count, staff, zhongshan, campaign, zhongshan_unit, django_assert_max_num_queries
):
    accepted_wells(count, zhongshan, campaign)
    publicity(count, campaign, zhongshan_unit)
    readings(count)
    stations(count)
    api = client(staff)

    # The role's groups, the page's rows (and their related rows joined);
    # for the due list also the campaigns and their inspection periods.
    for name, most in [
        ("inspection-due-list", 4),
        ("publicity-list", 2),
        ("groundwater-reading-list", 2),
        ("monitoring-well-list", 2),
    ]:
        with django_assert_max_num_queries(most):
            response = api.get(url(name))
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(count + (name == "monitoring-well-list"), 50)
