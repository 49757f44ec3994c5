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
as for ``INSERT``: the tally stays right. The field history's insert
trigger (pghistory: a context upsert and a copy of the row, per row) is
left out for the ``COPY`` and its events written after it in one
statement, the one pghistory's statement-level trigger runs
(:func:`_history_copies`): a third of the wells' ``COPY`` time at a
million wells.

The field-history triggers (wellclosure/history.py) read two settings
inside exception blocks: pgtrigger's ``pgtrigger.ignore`` (is this trigger
to be skipped?) and pghistory's context (who is behind the change). When a
setting is not defined for the transaction the read fails, and the block's
subtransaction is rolled back — for every row. Past 64 subtransactions
PostgreSQL's snapshots overflow to pg_subtrans and every row costs more
than the last: 44,500 new tasks took 28 s; with both settings defined,
about 3. So both are defined here for the batch: ``pgtrigger.ignore`` as
the list in force (empty: no failure) with the history insert triggers
added for the ``COPY`` and taken out after it, and a pghistory context,
the caller's (a request's user, an ``acting_as`` block) or a new empty
one. They are set for the transaction (``set_config(…, true)``) just
before the ``COPY``: pghistory attaches its context only to writing
statements that go through Django's cursor, and the ``COPY`` bypasses
Django's execute wrappers. A ``pgtrigger.ignore()`` block in force is
kept: its wrapper sets its list before the statement, and a history
trigger it ignores writes no events afterwards either.

Elsewhere (SQLite) it is ``bulk_create``, which returns the keys itself.
Values are prepared by each field exactly as an ``INSERT`` would
(``pre_save`` with ``add=True`` stamps ``auto_now_add``; then
``get_db_prep_save``), so the two paths write the same row — except that a
value the preparation would return unchanged (:func:`_as_is`: text, a
whole number, True/False, nothing, a date, an aware date-time, a finite
decimal, of Django's own field classes) is written as it is, at a fraction
of the cost. :func:`insert_values` writes rows from their values without
instances (the history records of an import), :func:`build` makes the
instances that are needed the way Django makes those it reads.
"""

import datetime
import functools
import json
from decimal import Decimal

import pghistory
import pghistory.config
import pghistory.trigger
import pgtrigger
from django.conf import settings
from django.db import connections, models, router
from django.db.models import DateField, DateTimeField, Field
from django.utils import timezone

BATCH_SIZE = 1000
# Django's fields whose preparation returns a str, int or bool value
# unchanged (CharField.to_python(str) is that str; a foreign key's is its
# target's). Their own classes only: a subclass may prepare otherwise
# (wells.fields.MultipleChoiceTextField, a CharField, writes ",a,b,").
PLAIN = frozenset(
    {
        models.AutoField,
        models.BigAutoField,
        models.BigIntegerField,
        models.BooleanField,
        models.CharField,
        models.ForeignKey,
        models.IntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.SmallIntegerField,
        models.TextField,
    }
)
PLAIN_VALUES = (str, int, bool, type(None))
NOTHING = (type(None),)


def _text(value):
    # A str subclass (a TextChoices member) is returned by CharField.to_python as it is.
    return isinstance(value, str)


def _aware(value):
    return type(value) is datetime.datetime and (value.tzinfo is not None or not settings.USE_TZ)


def _finite(value):
    return type(value) is Decimal and value.is_finite()


def _as_is(field):
    """Which values ``field`` writes unchanged on PostgreSQL: ``(types,
    check)`` — a value of one of ``types``, or for which ``check`` holds, is
    what the field's preparation would return for it. Text is itself
    (a TextChoices member too), a date a date (``DateField.to_python``;
    PostgreSQL's ``adapt_datefield_value`` returns it), an aware date-time
    itself (a naive one is made aware, with a warning, by the preparation),
    a finite decimal itself (an infinite one is refused by it). Django's
    own classes only."""
    kind = type(field)
    if kind in (models.CharField, models.TextField):
        return PLAIN_VALUES, _text
    if kind in PLAIN:
        return PLAIN_VALUES, None
    if kind is models.DateField:
        return (datetime.date, type(None)), None
    if kind is models.DateTimeField:
        return NOTHING, _aware
    if kind is models.DecimalField:
        return NOTHING, _finite
    return (), None


# How a value is read for the row: the instance's attribute, the time of
# the insert (auto_now, auto_now_add), or the field's pre_save; how a
# field not given to insert_values gets its value: the time of the insert,
# or a call of its default.
# Markers, not values: a field's default may be any value.
ATTRIBUTE, NOW, PRE_SAVE, CALL = object(), object(), object(), object()


def _reading(field):
    """How the row's value of ``field`` is read from an unsaved instance:
    as ``field.pre_save(obj, add=True)`` reads it."""
    kind = type(field)
    if kind is DateTimeField and (field.auto_now or field.auto_now_add):
        return NOW
    if kind.pre_save is Field.pre_save or (
        kind in (DateField, DateTimeField) and not field.auto_now_add and not field.auto_now
    ):
        return ATTRIBUTE
    return PRE_SAVE


def insert(model, objects):
    """Insert the unsaved ``objects`` of ``model``; returns them with their
    primary keys set."""
    objects = list(objects)
    if not objects:
        return objects
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objects, batch_size=BATCH_SIZE)
    fields = model._meta.concrete_fields
    missing = [obj for obj in objects if obj.pk is None]
    plan = []
    for field in fields:
        plan.append((field, field.attname, _reading(field), *_as_is(field)))

    def rows(keys):
        for obj, pk in zip(missing, keys, strict=True):
            obj.pk = pk
        for obj in objects:
            row = []
            now = None
            for field, attname, read, types, check in plan:
                if read is ATTRIBUTE:
                    value = getattr(obj, attname)
                elif read is NOW:
                    # DateTimeField.pre_save(obj, add=True), without its lookups.
                    now = now or timezone.now()
                    value = now
                    setattr(obj, attname, value)
                else:
                    value = field.pre_save(obj, True)
                if not (type(value) in types or (check is not None and check(value))):
                    value = field.get_db_prep_save(value, connection=connection)
                row.append(value)
            yield row

    _copy(connection, model, fields, len(missing), rows, lambda keys: [obj.pk for obj in objects])
    for obj in objects:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objects


def insert_values(model, rows):
    """Insert new rows of ``model`` without making its instances: each row
    a dict of the values by attribute name (``well_id``, not ``well``), as
    an instance would hold them; a field not given takes its default, the
    time of the insert for ``auto_now`` and ``auto_now_add``, as
    ``model(**row)`` then ``save()`` would write it. Returns the primary
    keys, in the order of ``rows``."""
    rows = list(rows)
    if not rows:
        return []
    connection = connections[router.db_for_write(model)]
    if connection.vendor != "postgresql":
        return [obj.pk for obj in model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)]
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    plan = []
    for field in fields:
        if _reading(field) is NOW:
            default = NOW
        elif field.has_default() and callable(field.default):
            default = CALL
        else:
            default = field.get_default()
        plan.append((field, field.attname, default, *_as_is(field)))
    missing = object()

    def values(keys):
        for key, given in zip(keys, rows, strict=True):
            row = [key]
            now = None
            for field, attname, default, types, check in plan:
                value = given.get(attname, missing)
                if value is missing:
                    if default is NOW:
                        now = now or timezone.now()
                        value = now
                    elif default is CALL:
                        value = field.get_default()
                    else:
                        value = default
                if not (type(value) in types or (check is not None and check(value))):
                    value = field.get_db_prep_save(value, connection=connection)
                row.append(value)
            yield row

    return _copy(connection, model, [model._meta.pk, *fields], len(rows), values, lambda keys: keys)


def _copy(connection, model, fields, count, rows, inserted):
    """``COPY`` the ``rows(keys)`` of ``fields`` into ``model``'s table,
    with the history triggers' settings defined for the batch (see above)
    and ``count`` keys taken from the table's sequence first for them;
    returns those keys. ``inserted(keys)``: the primary keys of all the
    rows written, for their field history (:func:`_history_copies`)."""
    opts = model._meta
    table = connection.ops.quote_name(opts.db_table)
    copies = _history_copies(model)
    with pghistory.context() as history, connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('pghistory.context_id', %s, true),"
            " set_config('pghistory.context_metadata', %s, true),"
            " coalesce(nullif(current_setting('pgtrigger.ignore', true), ''), '{}')::text[],"
            " set_config('pgtrigger.ignore',"
            " (coalesce(nullif(current_setting('pgtrigger.ignore', true), ''), '{}')::text[] || %s::text[])::text,"
            " true),"
            " ARRAY(SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s))",
            [
                str(history.id),
                json.dumps(history.metadata, cls=pghistory.config.json_encoder()),
                list(copies),
                opts.db_table,
                opts.pk.column,
                count,
            ],
        )
        _context, _metadata, ignored, _set, keys = cursor.fetchone()
        names = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        # Django's cursor turns psycopg's errors into its own (a duplicate
        # key into IntegrityError) in execute(), which COPY bypasses.
        with connection.wrap_database_errors, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows(keys):
                copy.write_row(row)
        if copies:
            # The triggers left out for the COPY are in force again, and
            # what they would have written for each row is written at once
            # (unless the caller had them ignored).
            statements = ["SELECT set_config('pgtrigger.ignore', %s::text[]::text, true)"]
            params = [ignored]
            wanted = [sql for pgid, sql in copies.items() if pgid not in ignored]
            if wanted:
                pks = inserted(keys)
                for sql in wanted:
                    statements.append(sql)
                    params.append(pks)
            cursor.execute("; ".join(statements), params)
    return keys


@functools.cache
def _history_copies(model):
    """The field-history triggers (django-pghistory) that copy each row
    inserted into ``model``'s table into its event table, and the one
    statement that writes the same event rows for many inserted rows at
    once: ``{trigger id: SQL}`` (the SQL takes the array of their primary
    keys). A row trigger runs its function for each of the 10,000 rows of
    an import (a third of the wells' COPY: a context upsert and an insert
    each); the statement is what pghistory's statement-level trigger runs
    (``pghistory.trigger.Event.get_func``), the same columns and values,
    the context attached once. Only the triggers written the way this
    mirrors (after insert, per row, no condition, the context a foreign
    key); any other stays as it is."""
    copies = {}
    for registered, trigger in pgtrigger.registered():
        if not (
            registered is model
            and isinstance(trigger, pghistory.trigger.Event)
            and str(trigger.operation) == "INSERT"
            and trigger.when == pgtrigger.After
            and trigger.level == pgtrigger.Row
            and trigger.condition is None
            and trigger.row == "NEW"
        ):
            continue
        event_model = trigger.event_model
        if not (
            hasattr(event_model, "pgh_obj")
            and hasattr(event_model, "pgh_context")
            and isinstance(event_model._meta.get_field("pgh_context"), models.ForeignKey)
        ):
            continue
        tracked = {field.name for field in event_model.pgh_tracked_model._meta.fields}
        values = {
            field.column: f'new_row."{field.column}"'
            for field in event_model._meta.fields
            if not isinstance(field, models.AutoField | models.GeneratedField)
            and field.name in tracked
            and field.concrete
        }
        pk_column = event_model._meta.get_field("pgh_obj").related_model._meta.pk.column
        values["pgh_created_at"] = pghistory.config.created_at_function()
        values["pgh_label"] = f"'{trigger.label}'"
        values["pgh_obj_id"] = f'new_row."{pk_column}"'
        values["pgh_context_id"] = "attached.value"
        values = dict(sorted(values.items()))
        columns = ", ".join(f'"{column}"' for column in values)
        copies[trigger.get_pgid(model)] = (
            "WITH attached AS (SELECT _pgh_attach_context() AS value)"
            f' INSERT INTO "{event_model._meta.db_table}" ({columns})'
            f" SELECT {', '.join(values.values())}"
            f' FROM "{model._meta.db_table}" AS new_row, attached'
            f' WHERE new_row."{pk_column}" = ANY(%s) ORDER BY new_row."{pk_column}"'
        )
    return copies


def build(model, values):
    """``model(**values)``, made the way Django makes the instances it reads
    (``Model.from_db``: the values in field order, without looking up each
    keyword), at a third of the cost: an import's 10,000 new wells.
    ``values`` by field name (a related object, cached on the instance as
    its descriptor caches it) or attribute name; a field not given takes its
    default."""
    plan, names = _build_plan(model)
    if not values.keys() <= names:
        unknown = ", ".join(sorted(values.keys() - names))
        raise TypeError(f"{model.__name__}() got unexpected keyword arguments: {unknown}")
    args, related = [], []
    for field, name, attname, target, default in plan:
        if target is not None and name in values:
            value = values[name]
            if value is not None and not isinstance(value, target):
                raise ValueError(f"{model.__name__}.{name} must be a {target.__name__} instance, not {value!r}.")
            related.append((name, value))
            args.append(None if value is None else value.pk)
        elif attname in values:
            args.append(values[attname])
        else:
            args.append(field.get_default() if default is CALL else default)
    obj = model(*args)
    cache = obj._state.fields_cache
    for name, value in related:
        cache[name] = value
    return obj


@functools.cache
def _build_plan(model):
    """Per concrete field of ``model``: the field, its name and attribute
    name, for a foreign key to a primary key the model it names, and its
    default (CALL: a new value each time)."""
    plan = []
    for field in model._meta.concrete_fields:
        target = None
        if field.is_relation:
            if field.target_field is not field.related_model._meta.pk or field.one_to_one:
                raise TypeError(f"bulk.build makes no {model.__name__}: {field.name} is not a plain foreign key.")
            target = field.related_model
        default = CALL if field.has_default() and callable(field.default) else field.get_default()
        plan.append((field, field.name, field.attname, target, default))
    names = frozenset(name for _field, name, attname, *_rest in plan for name in (name, attname))
    return plan, names
