"""SQLite is a real embedded default (``make run``): writers that race for
the same well wait for one another instead of failing with "database is
locked", so the version decides, as on PostgreSQL (tests/test_concurrency.py).

- Twenty clients post the same transition with the same version at once:
  exactly one is answered 200, the other nineteen 409, none 500, and one
  event is written.
- The settings' SQLite connections begin their transactions IMMEDIATE, wait
  for a busy database (SQLITE_TIMEOUT seconds) and write ahead (WAL); a bad
  SQLITE_TIMEOUT stops the process at start-up.

pytest-django's SQLite test database lives in memory, where none of this
can be seen (a shared in-memory database locks table by table and never
waits): the racing tests run on a database file of their own, opened with
the settings' OPTIONS."""

from collections import Counter

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.choices import Role, UnitKind
from tests.factories import CampaignFactory, TownshipFactory, UnitFactory, UserFactory, WellFactory
from tests.test_concurrency import NOTICE, in_threads
from tests.test_production_settings import manage, settings_under
from tests.tokens import token_for
from wells.choices import Status
from wells.models import WellEvent

on_sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's locking; PostgreSQL's races are tests/test_concurrency.py"
)

THREADS = 20


@pytest.fixture(scope="module")
def file_database(tmp_path_factory, django_db_blocker):
    """Point the default alias, in this thread and in every thread started
    from it, at a fresh migrated database file opened with the settings'
    OPTIONS; put the test database back afterwards."""
    name = str(tmp_path_factory.mktemp("sqlite") / "ledger.sqlite3")
    test_database = connections[DEFAULT_DB_ALIAS]
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock():
        # New connections (each thread's) read connections.settings.
        patch.setitem(connections.settings, DEFAULT_DB_ALIAS, {**connections.settings[DEFAULT_DB_ALIAS], "NAME": name})
        connections[DEFAULT_DB_ALIAS] = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            call_command("migrate", verbosity=0)
            yield name
        finally:
            connection.close()
            connections[DEFAULT_DB_ALIAS] = test_database


def client_for(user):
    """A token client that answers a server error with its 500 (and the
    exception in ``exc_info``) rather than raising it in its thread."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


@on_sqlite_only
def test_of_twenty_identical_transitions_on_sqlite_one_wins_and_none_fails(file_database):
    bureau = UnitFactory(name="市水利局", kind=UnitKind.BUREAU)
    staff = UserFactory(username="bob_staff", unit=bureau, role=Role.BUREAU_STAFF)
    well = WellFactory(township=TownshipFactory(), campaign=CampaignFactory())
    url = reverse("api:well-transitions", kwargs={"code": well.code})
    clients = [client_for(staff) for _ in range(THREADS)]

    def post(client):
        return lambda: client.post(url, {**NOTICE, "version": 1}, format="json")

    responses = in_threads(*[post(client) for client in clients])

    statuses = sorted(response.status_code for response in responses)
    errors = {repr(response.exc_info[1]) for response in responses if response.exc_info}
    assert statuses == [200] + [409] * (THREADS - 1), f"{Counter(statuses)}, errors: {errors}"
    for response in responses:
        if response.status_code == 409:
            assert response.json()["field"] == "version"
    well.refresh_from_db()
    assert (well.status, well.version) == (Status.NOTIFIED, 2)
    assert WellEvent.objects.filter(well=well).count() == 1


@on_sqlite_only
def test_a_sqlite_connection_begins_immediate_waits_and_writes_ahead(file_database):
    with connection.cursor() as cursor:
        pragmas = {}
        for pragma in ("journal_mode", "synchronous", "busy_timeout"):
            cursor.execute(f"PRAGMA {pragma}")
            pragmas[pragma] = cursor.fetchone()[0]

    assert connection.transaction_mode == "IMMEDIATE"
    # synchronous 1 is NORMAL; the busy timeout is in milliseconds.
    timeout = settings.DATABASES[DEFAULT_DB_ALIAS]["OPTIONS"]["timeout"]
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": timeout * 1000}


OPTIONS = "DATABASES['default']['OPTIONS']"


def test_the_sqlite_options_and_their_timeout_from_the_environment():
    default = settings_under([OPTIONS], DATABASE_URL="")
    five = settings_under([OPTIONS], DATABASE_URL="", SQLITE_TIMEOUT="5")

    init_command = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL"
    assert default[OPTIONS] == repr({"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": init_command})
    assert five[OPTIONS] == repr({"transaction_mode": "IMMEDIATE", "timeout": 5, "init_command": init_command})


def test_a_bad_sqlite_timeout_stops_the_process():
    result = manage("check", DATABASE_URL="", SQLITE_TIMEOUT="20s")

    assert result.returncode != 0
    assert "SQLITE_TIMEOUT='20s' is not an integer" in result.stderr
