"""The read replica (DESIGN §9, wellclosure/replica.py), on a real
PostgreSQL streaming replica: the dashboards, summaries and exports read
from it, everything else from the primary, and whoever has just written
reads from the primary until the replica has caught up — a write followed
by the writer's own read sees the write, even while the replica lags.

Runs where ``DATABASE_REPLICA_URL`` names a streaming replica of the
primary of ``DATABASE_URL`` (``.ci/run`` starts one); skipped otherwise. In
the suite the ``replica`` alias mirrors the primary's connection (test
databases are made on the primary); these tests open a connection of
their own to the replica's copy of the test database."""

import time

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.choices import Role
from tests.factories import UserFactory, WellFactory
from wellclosure.replica import PIN_COOKIE

pytestmark = [
    pytest.mark.skipif(
        "replica" not in settings.DATABASES, reason="no replica configured (DATABASE_REPLICA_URL is not set)"
    ),
    pytest.mark.django_db(transaction=True),
]

REAL = "replica_under_test"


@pytest.fixture
def replica(settings):
    """A connection to the replica's copy of the test database, which the
    router sends the replica's reads to."""
    primary = connections["default"]
    configured = settings.DATABASES["replica"]
    # The primary's settings (with the test database's name) at the
    # replica's address; a connection the test makes itself, which Django's
    # test case allows beside its own.
    wrapper = type(primary)(
        {**primary.settings_dict, **{key: configured[key] for key in ("HOST", "PORT", "USER", "PASSWORD")}},
        alias=REAL,
    )
    connections[REAL] = wrapper
    settings.REPLICA_DATABASE = REAL
    yield wrapper
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wrapper.close()
    del connections[REAL]


def caught_up(replica, timeout=10):
    """Wait until the replica has replayed everything the primary wrote:
    up to the WAL's insert location, which holds the last commit. The write
    location (``pg_current_wal_lsn``) may lie before it while an
    asynchronous commit waits in the WAL buffers (CI's primary runs with
    ``synchronous_commit = off``), and the replica then "caught up" one
    well short, now and then."""
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_insert_lsn()")
        (target,) = cursor.fetchone()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with replica.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return True
        time.sleep(0.05)
    raise AssertionError("the replica did not catch up")


def pause(replica):
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")


def resume(replica):
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")


@pytest.fixture
def ledger(bureau, zhongshan, campaign):
    wells = [WellFactory(township=zhongshan, campaign=campaign) for _ in range(3)]
    staff = UserFactory(username="replica-staff", unit=bureau, role=Role.BUREAU_STAFF)
    leader = UserFactory(username="replica-leader", unit=bureau, role=Role.LEADER)
    return wells, staff, leader


def signed_in(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def total(client):
    response = client.get("/api/v1/stats/summary/")
    assert response.status_code == 200
    return response.json()["totals"]["total"]


def test_the_replica_is_a_streaming_standby(replica):
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True


def test_summaries_dashboards_and_exports_read_the_replica_and_pages_the_primary(replica, ledger):
    _wells, _staff, leader = ledger
    caught_up(replica)
    client = signed_in(leader)
    for path in ("/api/v1/stats/summary/", "/dashboard/", "/api/v1/exports/wells.xlsx"):
        with CaptureQueriesContext(replica) as on_replica:
            response = client.get(path)
            assert response.status_code == 200
            b"".join(response.streaming_content) if response.streaming else response.content
        assert any("wells_well" in q["sql"] or "wells_welltally" in q["sql"] for q in on_replica), path
    for path in ("/wells/", "/api/v1/wells/"):
        with CaptureQueriesContext(replica) as on_replica:
            assert client.get(path).status_code == 200
        assert on_replica.captured_queries == [], path


def test_the_writer_reads_their_own_write_while_the_replica_lags(replica, ledger, zhongshan, campaign):
    _wells, staff, leader = ledger
    writer, reader = signed_in(staff), signed_in(leader)
    assert total(reader) == 3 or caught_up(replica) and total(reader) == 3
    caught_up(replica)
    pause(replica)  # the replica lags from here on

    response = writer.post(
        "/api/v1/wells/",
        {
            "code": "LAG-0001",
            "owner_name": "新户",
            "owner_kind": "person",
            "township": zhongshan.code,
            "uses": ["irrigation"],
            "responsible_unit": zhongshan.government_id,
            "campaign": campaign.pk,
            "category": "unlicensed",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert PIN_COOKIE in response.cookies

    # The writer's next read comes from the primary: the new well is there.
    with CaptureQueriesContext(replica) as on_replica:
        assert total(writer) == 4
    assert on_replica.captured_queries == []
    # Someone who has not written reads the lagging replica.
    assert total(reader) == 3

    resume(replica)
    caught_up(replica)
    assert total(reader) == 4


def test_the_pin_ends_after_its_seconds(replica, ledger):
    _wells, staff, _leader = ledger
    caught_up(replica)
    client = signed_in(staff)
    client.cookies[PIN_COOKIE] = f"{time.time() - 1:.3f}"
    with CaptureQueriesContext(replica) as on_replica:
        total(client)
    assert on_replica.captured_queries
    client.cookies[PIN_COOKIE] = f"{time.time() + 30:.3f}"
    with CaptureQueriesContext(replica) as on_replica:
        total(client)
    assert on_replica.captured_queries == []


def test_a_token_just_issued_is_read_from_the_primary(replica, ledger):
    _wells, _staff, leader = ledger
    caught_up(replica)
    pause(replica)
    from tests.tokens import token_for

    token = token_for(leader)  # on the primary only, while the replica waits
    response = Client().get("/api/v1/stats/summary/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert response.json()["totals"]["total"] == 3


def test_a_refused_write_pins_nothing(replica, ledger):
    _wells, staff, _leader = ledger
    response = signed_in(staff).post("/api/v1/wells/", {}, content_type="application/json")
    assert response.status_code == 400
    assert PIN_COOKIE not in response.cookies
