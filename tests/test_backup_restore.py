"""A backup restores: the database dumped with ``pg_dump -Fc`` (as
docs/security.md says to) and restored with ``pg_restore`` into a fresh
database holds every well, every lifecycle event and the field history,
with the triggers that keep that history; and a copy of the attachment
store matches the checksums the restored database holds.

PostgreSQL only (the dump is PostgreSQL's own format); CI runs it."""

import hashlib
import shutil
import subprocess
import uuid
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from tests.api.helpers import png_bytes
from tests.factories import WellFactory
from wells.choices import Action
from wells.models import Attachment, Well, WellEvent
from wells.uploads import store_attachment
from wells.workflow import perform

PG_BIN = Path("/usr/lib/postgresql/15/bin")

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore back up PostgreSQL only"),
    pytest.mark.skipif(not (PG_BIN / "pg_dump").exists(), reason="PostgreSQL 15 client tools are not installed"),
    # The dump is taken by another connection: the data must be committed.
    pytest.mark.django_db(transaction=True),
]


def libpq_arguments(database=None):
    settings = connection.settings_dict
    arguments = ["-h", settings["HOST"] or "localhost", "-U", settings["USER"] or "postgres"]
    if settings["PORT"]:
        arguments += ["-p", str(settings["PORT"])]
    return [*arguments, "-d", database or settings["NAME"]]


def connect(database):
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or "localhost",
        port=settings["PORT"] or 5432,
        user=settings["USER"] or "postgres",
        password=settings["PASSWORD"] or None,
        dbname=database,
        autocommit=True,
    )


TRIGGERS = "SELECT tgname FROM pg_trigger WHERE tgrelid = 'wells_well'::regclass AND NOT tgisinternal"


def well_triggers(database):
    with connect(database) as db:
        return {row[0] for row in db.execute(TRIGGERS)}


@pytest.fixture
def fresh_database():
    """An empty database to restore into, dropped afterwards."""
    name = f"restore_{uuid.uuid4().hex[:12]}"
    with connect("postgres") as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with connect("postgres") as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def ledger(zhongshan, ningbian, campaign, staff, admin_user, attachments_in_tmp, notice):
    """Wells of two townships, some with events and evidence."""
    wells = [WellFactory(township=zhongshan if n % 2 else ningbian, campaign=campaign) for n in range(6)]
    for well in wells[:4]:
        perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)
        photo = SimpleUploadedFile(f"{well.code}.png", png_bytes(), content_type="image/png")
        store_attachment(well=well, kind="photo", upload=photo, uploaded_by=staff)
    perform(Well.objects.get(pk=wells[0].pk), Action.REVERT, actor=admin_user, data={"reason": "误操作"}, version=2)
    return wells


def test_a_dump_restored_into_a_fresh_database_holds_every_well_and_event(ledger, fresh_database, tmp_path):
    dump = tmp_path / "wellclosure.dump"
    subprocess.run([PG_BIN / "pg_dump", "-Fc", "-f", dump, *libpq_arguments()], check=True, timeout=120)
    subprocess.run(
        [PG_BIN / "pg_restore", "--no-owner", "--exit-on-error", *libpq_arguments(fresh_database), dump],
        check=True,
        timeout=120,
    )

    with connect(fresh_database) as restored:
        wells = restored.execute("SELECT code, status, version FROM wells_well ORDER BY code").fetchall()
        events = restored.execute(
            "SELECT id, well_id, action, from_status, to_status, actor_name FROM wells_wellevent ORDER BY id"
        ).fetchall()
        history = restored.execute("SELECT count(*) FROM wells_wellhistory").fetchone()[0]
        tallied = restored.execute("SELECT SUM(wells) FROM wells_welltally").fetchone()[0]
    triggers = well_triggers(fresh_database)

    assert wells == list(Well.objects.order_by("code").values_list("code", "status", "version"))
    assert len(wells) == 6
    assert events == list(
        WellEvent.objects.order_by("id").values_list(
            "id", "well_id", "action", "from_status", "to_status", "actor_name"
        )
    )
    assert len(events) == 5
    assert history == apps.get_model("wells", "WellHistory").objects.count() > 6
    # The restored database goes on keeping history: its triggers came along.
    assert triggers == well_triggers(connection.settings_dict["NAME"])
    assert len(triggers) == 6  # the history's and the tally's: insert, update, delete
    # The tally came as it was, not counted again as the wells were loaded.
    assert tallied == 6


def test_a_copy_of_the_attachment_store_matches_the_restored_checksums(ledger, attachments_in_tmp, tmp_path):
    copy = tmp_path / "attachments-backup"
    shutil.copytree(attachments_in_tmp, copy)  # in production: rsync -a --checksum, see docs/security.md

    attachments = list(Attachment.objects.values_list("file", "sha256"))
    assert len(attachments) == 4
    for name, checksum in attachments:
        assert hashlib.sha256((copy / name).read_bytes()).hexdigest() == checksum
