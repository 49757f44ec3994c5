"""Inserting many new rows at once, as fast as the database allows: the one
place where the ORM's ``bulk_create`` is bypassed, for the import's new
wells and what the doors write with them (their history records, retain
events and tasks).

On PostgreSQL the rows go in with ``COPY``. ``bulk_create`` there sends each
column as one array parameter (``INSERT … SELECT * FROM UNNEST(…)``), and
psycopg escapes every element of those arrays in Python: 2.5 of the 4 s
that 10,000 new wells and their 10,000 history records took. ``COPY``
formats the rows in psycopg's C code. The primary keys are taken from the
table's own sequence first (``nextval`` once per row, in one query), so
the objects come back with their ``pk`` set as ``bulk_create`` would leave
them, and concurrent writers never collide. Row triggers fire for ``COPY``
as for ``INSERT``: the tally and the field history stay right.

The field-history triggers (wellclosure/history.py) read two settings
inside exception blocks: pgtrigger's ``pgtrigger.ignore`` (is this trigger
to be skipped?) and pghistory's context (who is behind the change). When a
setting is not defined for the transaction the read fails, and the block's
subtransaction is rolled back — for every row. Past 64 subtransactions
PostgreSQL's snapshots overflow to pg_subtrans and every row costs more
than the last: 44,500 new tasks took 28 s; with both settings defined,
about 3. So both are defined here for the batch: ``pgtrigger.ignore`` as
the empty list (it ignores no trigger, the same answer without the
failure), and a pghistory context, the caller's (a request's user, an
``acting_as`` block) or a new empty one. They are set for the transaction
(``set_config(…, true)``) just before the ``COPY``: pghistory attaches its
context only to writing statements that go through Django's cursor, and
the ``COPY`` bypasses Django's execute wrappers. A ``pgtrigger.ignore()``
block in force is kept: its wrapper sets its list before the statement.

Elsewhere (SQLite) it is ``bulk_create``, which returns the keys itself.
Values are prepared by each field exactly as an ``INSERT`` would
(``pre_save`` with ``add=True`` stamps ``auto_now_add``; then
``get_db_prep_save``), so the two paths write the same row — except that a
plain value (text, a whole number, True/False, nothing) of a field of a
plain kind (:data:`PLAIN`) is written as it is, which is what those fields'
preparation returns for it, at a fifth of the cost (a third of the Python
time of 10,000 new wells).
"""

import json

import pghistory
import pghistory.config
from django.db import connections, router
from django.db.models import Field

BATCH_SIZE = 1000
# Fields whose preparation returns a str, int or bool value unchanged
# (CharField.to_python(str) is that str; a foreign key's is its target's).
PLAIN = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "BigIntegerField",
        "BooleanField",
        "CharField",
        "ForeignKey",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
        "TextField",
    }
)
PLAIN_VALUES = (str, int, bool, type(None))


def insert(model, objects):
    """Insert the unsaved ``objects`` of ``model``; returns them with their
    primary keys set."""
    objects = list(objects)
    if not objects:
        return objects
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    opts = model._meta
    table = connection.ops.quote_name(opts.db_table)
    fields = opts.concrete_fields
    with pghistory.context() as history, connection.cursor() as cursor:
        missing = [obj for obj in objects if obj.pk is None]
        cursor.execute(
            "SELECT set_config('pghistory.context_id', %s, true),"
            " set_config('pghistory.context_metadata', %s, true),"
            " CASE WHEN coalesce(current_setting('pgtrigger.ignore', true), '') = ''"
            " THEN set_config('pgtrigger.ignore', '{}', true) END,"
            " ARRAY(SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s))",
            [
                str(history.id),
                json.dumps(history.metadata, cls=pghistory.config.json_encoder()),
                opts.db_table,
                opts.pk.column,
                len(missing),
            ],
        )
        for obj, pk in zip(missing, cursor.fetchone()[3], strict=True):
            obj.pk = pk
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        plain = [field.get_internal_type() in PLAIN and type(field).pre_save is Field.pre_save for field in fields]
        # Django's cursor turns psycopg's errors into its own (a duplicate
        # key into IntegrityError) in execute(), which COPY bypasses.
        with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                row = []
                for field, simple in zip(fields, plain, strict=True):
                    value = getattr(obj, field.attname) if simple else field.pre_save(obj, True)
                    if not (simple and type(value) in PLAIN_VALUES):
                        value = field.get_db_prep_save(value, connection=connection)
                    row.append(value)
                copy.write_row(row)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects
