"""The well list's fast path: rows read as values and written exactly as
WellSerializer writes wells, the status filter as one IN, and the list's
FilterSet, which validates only the filters a query names."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from tests.api.helpers import TODAY, url
from tests.factories import WellFactory
from wells.api.serializers import WELL_LIST_COLUMNS, WellSerializer, well_list_rows
from wells.choices import Category, OwnerKind, Status, Use, Zone
from wells.models import Well

PAST = datetime.date(2023, 6, 1)


@pytest.fixture
def varied_wells(zhongshan, ningbian, campaign):
    """Wells that differ in every way the list shows: empty values, several
    uses, overdue or settled past their deadline, no township."""
    return [
        WellFactory(code="V-01", township=zhongshan, campaign=campaign),
        WellFactory(
            code="V-02",
            township=None,
            responsible_unit=zhongshan.government,
            village="",
            lat=None,
            lng=None,
            depth_m=None,
            deadline=None,
            meter_no="",
            responsible_person="",
            campaign=campaign,
        ),
        WellFactory(
            code="V-03",
            township=ningbian,
            campaign=campaign,
            owner_kind=OwnerKind.ENTERPRISE,
            owner_name='王家"养殖场"\u2028二号',
            zone=Zone.RESTRICTED,
            uses=[Use.DOMESTIC, Use.LIVESTOCK, Use.EMERGENCY],
            category=Category.LICENSED,
            license_no="取水(新昌)字[2019]第0012号",
            status=Status.NOTIFIED,
            enforced=True,
            deadline=PAST,
            supply_connected_on=datetime.date(2023, 5, 20),
            lat="39.123456",
            lng="116.000001",
            depth_m="1234.56",
        ),
        WellFactory(code="V-04", township=zhongshan, campaign=campaign, deadline=PAST, status=Status.ACCEPTED),
        WellFactory(
            code="V-05",
            township=zhongshan,
            campaign=campaign,
            deadline=PAST,
            status=Status.RETAINED,
            category=Category.RETAINED,
            uses=[Use.EMERGENCY],
        ),
        WellFactory(code="V-06", township=ningbian, campaign=campaign, deadline=TODAY, status=Status.SEALED),
        WellFactory(code="V-07", township=zhongshan, campaign=campaign, lat="18.000000", lng="135.000000"),
    ]


def test_the_list_rows_are_byte_for_byte_what_the_serializer_writes(varied_wells):
    wells = Well.objects.select_related("township", "responsible_unit").order_by("code")
    rows = Well.objects.order_by("code").values(*WELL_LIST_COLUMNS)
    renderer = JSONRenderer()

    written = renderer.render(well_list_rows(rows))

    assert written == renderer.render(WellSerializer(wells, many=True).data)
    assert [row["overdue"] for row in well_list_rows(rows)] == [False, False, True, False, False, False, False]


def test_the_list_answers_byte_for_byte_what_the_serializer_writes(api, staff, varied_wells):
    wells = Well.objects.select_related("township", "responsible_unit").order_by("code")
    expected = {"count": len(varied_wells), "next": None, "previous": None}

    response = api(staff).get(url("well-list"))

    assert response.content == JSONRenderer().render({**expected, "results": WellSerializer(wells, many=True).data})


def test_a_page_of_rows_is_what_the_serializer_writes_for_its_wells(api, staff, varied_wells):
    client = api(staff)
    first = client.get(url("well-list"), {"ordering": "-deadline", "page_size": 3}).json()

    second = client.get(first["next"]).json()

    wells = Well.objects.filter(code__in=[row["code"] for row in second["results"]])
    written = json.loads(JSONRenderer().render(WellSerializer(wells, many=True).data))
    by_code = {row["code"]: row for row in written}
    assert second["results"] == [by_code[row["code"]] for row in second["results"]]
    # Wells without a deadline first, then the latest deadline, ties by the newest.
    assert [row["code"] for row in first["results"] + second["results"]] == [
        "V-02",
        "V-07",
        "V-01",
        "V-06",
        "V-05",
        "V-04",
    ]


def test_several_statuses_are_one_in_lookup(api, staff, zhongshan, campaign):
    notified = WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED)
    sealed = WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED)
    WellFactory(township=zhongshan, campaign=campaign)

    with CaptureQueriesContext(connection) as queries:
        response = api(staff).get(url("well-list") + "?status=sealed&status=notified&status=sealed")

    page = [query["sql"] for query in queries if "wells_well" in query["sql"]]
    assert [row["code"] for row in response.json()["results"]] == [notified.code, sealed.code]
    assert len(page) == 1
    assert "\"wells_well\".\"status\" IN ('notified', 'sealed')" in page[0]
    # No status compared by OR (the scope's subquery of the campaigns the
    # user's bureau reaches has an OR of its own, over the campaigns).
    assert 'OR "wells_well"."status"' not in page[0]
    assert '"wells_well"."status" = ' not in page[0]


def test_each_request_is_filtered_by_its_own_filters(api, staff, zhongshan, ningbian, campaign):
    # The list's FilterSet keeps a form class per set of filters named: a
    # request must never see another's.
    licensed = WellFactory(
        township=zhongshan, campaign=campaign, category=Category.LICENSED, license_no="L1", status=Status.NOTIFIED
    )
    notified = WellFactory(township=ningbian, campaign=campaign, status=Status.NOTIFIED)
    other = WellFactory(township=ningbian, campaign=campaign)
    client = api(staff)

    def codes(params):
        response = client.get(url("well-list"), params)
        assert response.status_code == 200, response.content
        return [row["code"] for row in response.json()["results"]]

    assert client.get(url("well-list"), {"status": "foo", "category": "licensed"}).json().keys() == {"status"}
    assert codes({"category": "licensed"}) == [licensed.code]
    assert codes({"status": "notified"}) == [licensed.code, notified.code]
    assert codes({"status": "notified", "township": "ningbianlu"}) == [notified.code]
    assert codes({"category": "licensed", "status": "notified", "township": "ningbianlu"}) == []
    assert codes({"page_size": 10}) == [licensed.code, notified.code, other.code]
    assert codes({"category": ""}) == [licensed.code, notified.code, other.code]
