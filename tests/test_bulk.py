"""wellclosure.bulk, the import's fast insert: the rows it writes are the
rows ``bulk_create`` writes, with their keys, and on PostgreSQL (COPY)
the triggers behind them still run: the tally counts the new wells, the
field history records each insert with who made it, and a
``pgtrigger.ignore()`` block in force is obeyed."""

import datetime

import pghistory
import pgtrigger
import pytest
from django.db import IntegrityError, connection, transaction

from tasks.choices import Step
from tasks.models import Task
from tests.factories import CampaignFactory, TownshipFactory, UserFactory, WellFactory
from wellclosure import bulk
from wellclosure.history import acting_as
from wells.models import Well, WellTally

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")


@pytest.fixture
def township():
    return TownshipFactory()


def new_tasks(wells, step=Step.SEAL):
    return [Task(well=well, unit=well.responsible_unit, step=step, due_on=datetime.date(2027, 6, 30)) for well in wells]


def test_the_rows_come_back_with_their_keys_and_as_written(township):
    wells = WellFactory.create_batch(3, township=township)

    tasks = bulk.insert(Task, new_tasks(wells))

    assert all(task.pk for task in tasks) and len({task.pk for task in tasks}) == 3
    assert not any(task._state.adding for task in tasks)
    stored = Task.objects.in_bulk([task.pk for task in tasks])
    for task in tasks:
        row = stored[task.pk]
        assert (row.well_id, row.unit_id, row.step, row.due_on) == (task.well_id, task.unit_id, "seal", task.due_on)
        assert row.created_at is not None  # auto_now_add, stamped as an INSERT would


def test_nothing_to_insert_costs_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert(Task, []) == []


def test_a_duplicate_key_is_django_s_integrity_error(township):
    """What the import catches to say "added by someone else meanwhile"."""
    well = WellFactory(township=township)
    twin = Well.objects.get(pk=well.pk)
    twin.pk = None

    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(Well, [twin])


@on_postgresql
def test_the_field_history_records_each_insert_with_who_made_it(township):
    wells = WellFactory.create_batch(2, township=township)
    importer = UserFactory()

    with transaction.atomic(), acting_as(importer):
        tasks = bulk.insert(Task, new_tasks(wells))

    for task in tasks:
        (event,) = task.history.all()
        assert (event.pgh_label, event.step) == ("insert", "seal")
        assert event.pgh_context.metadata["user"] == importer.pk


@on_postgresql
def test_outside_any_context_the_insert_is_still_in_the_history(township):
    (well,) = WellFactory.create_batch(1, township=township)

    with transaction.atomic():
        (task,) = bulk.insert(Task, new_tasks([well]))

    assert [event.pgh_label for event in task.history.all()] == ["insert"]


@on_postgresql
def test_a_pgtrigger_ignore_block_is_obeyed(township):
    (well,) = WellFactory.create_batch(1, township=township)

    with transaction.atomic(), pghistory.context(), pgtrigger.ignore("tasks.Task:insert_insert"):
        (task,) = bulk.insert(Task, new_tasks([well]))

    assert not task.history.exists()


def test_the_tally_counts_wells_inserted_in_bulk(township):
    campaign = CampaignFactory()
    before = sum(WellTally.objects.filter(campaign=campaign).values_list("wells", flat=True))
    wells = [WellFactory.build(township=township, campaign=campaign, code=f"CJ-BULK-{n}") for n in range(3)]

    with transaction.atomic():
        bulk.insert(Well, wells)

    assert sum(WellTally.objects.filter(campaign=campaign).values_list("wells", flat=True)) == before + 3


def _history_row(event):
    """An insert event's copy of its well, without what is the event's own."""
    return {
        field.attname: getattr(event, field.attname)
        for field in event._meta.concrete_fields
        if not field.name.startswith("pgh_")
    }


@on_postgresql
def test_wells_inserted_in_bulk_have_the_insert_event_the_trigger_writes(township):
    """The COPY leaves pghistory's row trigger out and writes its events in
    one statement: the same event, with who made it, as a well saved one by
    one gets from the trigger; and the trigger is in force again after."""
    importer = UserFactory()
    campaign = CampaignFactory()
    wells = [WellFactory.build(township=township, campaign=campaign, code=f"CJ-HIST-{n}") for n in range(3)]

    with transaction.atomic(), acting_as(importer):
        bulk.insert(Well, wells)
        saved = WellFactory(township=township, campaign=campaign, code="CJ-HIST-SAVED")

    for well in [*wells, saved]:
        (event,) = well.history.all()
        stored = Well.objects.get(pk=well.pk)
        assert event.pgh_label == "insert"
        assert event.pgh_context.metadata["user"] == importer.pk
        assert _history_row(event) == {field.attname: getattr(stored, field.attname) for field in stored._meta.fields}
    bulk_events = [well.history.get() for well in wells]
    assert [event.pgh_id for event in bulk_events] == sorted(event.pgh_id for event in bulk_events)
    assert bulk_events[0].pgh_context_id == saved.history.get().pgh_context_id


@on_postgresql
def test_values_inserted_in_bulk_have_their_insert_events_too(township):
    from tasks.models import Task

    (well,) = WellFactory.create_batch(1, township=township)

    with transaction.atomic():
        (pk,) = bulk.insert_values(Task, [{"well_id": well.pk, "unit_id": well.responsible_unit_id, "step": Step.SEAL}])

    task = Task.objects.get(pk=pk)
    assert [event.pgh_label for event in task.history.all()] == ["insert"]
    assert task.created_at is not None and task.step == Step.SEAL


@on_postgresql
def test_an_ignored_well_insert_trigger_writes_no_event_in_bulk(township):
    campaign = CampaignFactory()
    wells = [WellFactory.build(township=township, campaign=campaign, code=f"CJ-IGN-{n}") for n in range(2)]

    with transaction.atomic(), pghistory.context(), pgtrigger.ignore("wells.Well:insert_insert"):
        bulk.insert(Well, wells)

    assert not any(well.history.exists() for well in wells)
