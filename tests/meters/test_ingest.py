"""Readings in (meters.ingest and POST /api/v1/meter-readings/): good rows
stored and bad ones named by row, idempotent per meter and time."""

import datetime

import pytest
from django.db import connection

from meters.ingest import ingest
from meters.models import MeterReading
from tests.meters.conftest import at

pytestmark = pytest.mark.usefixtures("clock")

JUNE_13 = datetime.date(2023, 6, 13)
JUNE_14 = datetime.date(2023, 6, 14)
URL = "/api/v1/meter-readings/"


def test_a_register_going_backwards_is_refused_by_row_and_the_good_rows_are_stored(sealed_well):
    result = ingest(
        [
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13), "kwh": "100.00"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": "90.00"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14, 20), "kwh": "104.50"},
        ],
        "register",
    )

    assert result.stored == 2
    assert [(e["row"], e["field"]) for e in result.errors] == [(2, "kwh")]
    assert "表码倒退" in result.errors[0]["message"]
    consumed = list(MeterReading.objects.order_by("read_at").values_list("consumed_kwh", flat=True))
    assert [str(value) if value is not None else None for value in consumed] == [None, "4.50"]


def test_a_register_below_the_stored_one_is_refused_in_the_next_batch(sealed_well):
    ingest([{"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13), "kwh": "100"}], "register")

    result = ingest([{"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": "99.99"}], "register")

    assert result.stored == 0 and result.errors[0]["field"] == "kwh"


def test_unknown_meters_and_impossible_values_are_named_per_row(sealed_well):
    result = ingest(
        [
            {"meter_no": "NO-SUCH-METER", "read_at": at(JUNE_13), "kwh": "1"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13), "kwh": "-1"},
            {"meter_no": sealed_well.meter_no, "read_at": "yesterday", "kwh": "1"},
            {"meter_no": sealed_well.meter_no, "read_at": "2023-07-30T08:00:00+08:00", "kwh": "1"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13, 9), "kwh": "1.234"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13, 10), "kwh": "2"},
        ],
        "interval",
    )

    assert [(e["row"], e["field"]) for e in result.errors] == [
        (1, "meter_no"),
        (2, "kwh"),
        (3, "read_at"),
        (4, "read_at"),
        (5, "kwh"),
    ]
    assert result.stored == 1
    assert MeterReading.objects.get().kwh == 2


def test_an_older_reading_than_the_meters_latest_is_refused(sealed_well):
    ingest([{"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": "1"}], "interval")

    result = ingest([{"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13), "kwh": "1"}], "interval")

    assert result.stored == 0 and result.errors[0]["field"] == "read_at"


def test_the_grid_companys_token_posts_readings(api, member, sealed_well):
    body = {"kind": "interval", "readings": [{"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": 3}]}

    first = api(member).post(URL, body, format="json")
    again = api(member).post(URL, body, format="json")

    assert first.status_code == 200
    assert first.json() == {"stored": 1, "duplicates": 0, "errors": []}
    assert again.json() == {"stored": 0, "duplicates": 1, "errors": []}


@pytest.mark.parametrize("persona", ["admin_user", "staff", "officer", "leader"])
def test_nobody_but_the_grid_company_posts_readings(api, request, persona, sealed_well):
    body = {"kind": "interval", "readings": [{"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": 3}]}

    response = api(request.getfixturevalue(persona)).post(URL, body, format="json")

    assert response.status_code == 403
    assert not MeterReading.objects.exists()


def test_a_member_of_another_unit_may_not_post_readings(api, other_officer, sealed_well, ningbian_unit):
    from accounts.choices import Role
    from tests.factories import UserFactory

    other_member = UserFactory(username="mallory", unit=ningbian_unit, role=Role.UNIT_MEMBER)
    body = {"kind": "interval", "readings": []}

    assert api(other_member).post(URL, body, format="json").status_code == 403
    assert api().post(URL, body, format="json").status_code == 401


def test_the_grid_token_can_do_nothing_else_new(api, member, sealed_well, client):
    grid = api(member)

    assert grid.post("/api/v1/tickets/", {"description": "x"}, format="json").status_code == 403
    client.force_login(member)
    assert client.get("/meters/import/").status_code == 403


def test_a_batch_without_its_kind_is_refused_whole(api, member, sealed_well):
    body = {"readings": [{"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": 3}]}

    response = api(member).post(URL, body, format="json")

    assert response.status_code == 400 and "kind" in response.json()
    assert not MeterReading.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitioning is PostgreSQL's (SQLite: a plain table)")
def test_on_postgresql_the_migration_made_a_partitioned_table_and_a_months_query_prunes(sealed_well):
    ingest(
        [
            {"meter_no": sealed_well.meter_no, "read_at": at(datetime.date(2023, 5, 20)), "kwh": "1"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": "1"},
        ],
        "interval",
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'meters_meterreading'::regclass")
        assert cursor.fetchone() == ("r",)
        cursor.execute(
            "EXPLAIN SELECT sum(consumed_kwh) FROM meters_meterreading "
            "WHERE read_at >= '2023-06-01T00:00:00+08:00' AND read_at < '2023-07-01T00:00:00+08:00'"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "meters_meterreading_202306" in plan
    assert "meters_meterreading_202305" not in plan


def test_an_empty_batch_stores_nothing_and_says_so(api, member):
    response = api(member).post(URL, {"kind": "interval", "readings": []}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"stored": 0, "duplicates": 0, "errors": []}
