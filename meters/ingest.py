"""Readings in (DESIGN §8): the one door through which meter readings are
stored, for the API's batches and the grid company's monthly export alike.

Each row is checked on its own, and a batch stores its good rows and names
its bad ones (``errors``, by row number and field) side by side: the grid
company resends what it must correct, and nothing is dropped without a word.
A row is refused when

- its meter number is not any well's (``meter_no``), or is on two wells;
- its time is not a date and time, or lies in the future (``read_at``);
- its kWh is not a number, is negative, or has more than 2 decimals
  (``kwh``);
- it is older than the meter's latest stored reading, or than a row before
  it in the batch (a meter's series grows forward, so each consumption is
  the difference from the reading just before it);
- a cumulative register goes backwards from the meter's previous reading.

A row whose meter and time are already stored is a duplicate, counted and
changed nothing (a resent batch stores nothing); so is a row repeated in
the batch with the same kWh (with another kWh it is refused).

On PostgreSQL the rows go in by ``COPY`` into a temporary table and one
``INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING``: the primary key
(meter, time) decides, also between two batches loaded at once. The
partitions of the months a batch touches are created first
(:func:`meters.partitions.ensure_partitions`). Elsewhere (SQLite) the rows
go in by ``bulk_create(ignore_conflicts=True)``. Nothing here scans for
alerts: that is the daily job's (:mod:`meters.watch`)."""

import datetime
import decimal
import math
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from meters import partitions
from meters.choices import ReadingKind
from meters.models import MeterReading
from wellclosure.validators import forbidden_character
from wells.models import Well

KWH_MAX = decimal.Decimal("999999999999.99")
# How far back the meter's previous reading is looked for: the partitions
# of this many days (a meter silent for longer starts its series again).
PREVIOUS_WITHIN_DAYS = 62
# A reading may be stamped a little ahead of the server's clock.
FUTURE_TOLERANCE = datetime.timedelta(hours=1)


@dataclass
class IngestResult:
    stored: int = 0
    duplicates: int = 0
    errors: list = field(default_factory=list)

    def as_dict(self):
        return {"stored": self.stored, "duplicates": self.duplicates, "errors": self.errors}


class BatchError(Exception):
    """The batch as a whole cannot be read (not a list, an unknown kind, too
    many rows); nothing is stored."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass
class _Row:
    number: int  # the row's place: 1-based in a batch, the sheet's row in a workbook
    meter_no: str
    read_at: datetime.datetime
    kwh: decimal.Decimal
    where: dict  # what names the row in an error (row, or sheet and row)
    well_id: int | None = None
    consumed: decimal.Decimal | None = None
    stamp: str = ""  # read_at in ISO form, for COPY
    micros: int = 0  # read_at as whole microseconds since 1970, compared exactly


EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
# The temporary table of the batch's (meter, time) keys, loaded by COPY, that
# the lookups join: a parameter list of 50,000 values is bound in Python
# (2.7 s of a 6 s batch at first).
KEYS = "meters_batch_keys"
_MICROS = "(extract(epoch from {0}) * 1000000)::bigint"


def _micros(moment):
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)


def _shown(micros):
    moment = EPOCH + datetime.timedelta(microseconds=micros)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _stage_keys(rows):
    if connection.vendor != "postgresql" or not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {KEYS} (meter_no varchar(100), read_at timestamptz) "
            "ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"TRUNCATE {KEYS}")
        with cursor.cursor.copy(f"COPY {KEYS} (meter_no, read_at) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((row.meter_no, row.stamp))
        cursor.execute(f"ANALYZE {KEYS}")


def read_kind(value):
    try:
        return ReadingKind(value)
    except ValueError:
        raise BatchError(
            _("Say what the kWh figures are: “kind” must be “register” (cumulative) or “interval” (consumption)."),
            field="kind",
        ) from None


def ingest(readings, kind, *, where=None):
    """Store ``readings`` (dicts of ``meter_no``, ``read_at``, ``kwh``) of
    ``kind`` (:class:`ReadingKind`); return an :class:`IngestResult`.
    ``where(index)`` names a row in its errors (default ``{"row": index +
    1}``). Raises :class:`BatchError` for a batch that cannot be read."""
    kind = read_kind(kind)
    if not isinstance(readings, list | tuple):
        raise BatchError(_("“readings” must be a list of readings."), field="readings")
    if len(readings) > settings.METER_BATCH_MAX:
        raise BatchError(
            _("A batch holds at most %(limit)s readings; this one has %(count)s. Send it in parts.")
            % {"limit": settings.METER_BATCH_MAX, "count": len(readings)},
            field="readings",
        )
    where = where or (lambda index: {"row": index + 1})
    result = IngestResult()
    rows = []
    now = timezone.now()
    times = {}
    for index, raw in enumerate(readings):
        row = _read_row(raw, where(index), now, result.errors, times)
        if row is not None:
            row.number = index
            rows.append(row)
    if not rows:
        # An empty batch, or every row refused on its own: nothing to look up
        # (the staging table is made only for rows).
        return result
    register = kind == ReadingKind.REGISTER
    with transaction.atomic():
        _stage_keys(rows)
        rows = _resolve_wells(rows, result.errors)
        rows = _drop_repeats(rows, result)
        rows = _chain(rows, register, result)
        if rows:
            result.stored = _insert(rows, register)
            result.duplicates += len(rows) - result.stored
    result.errors.sort(key=lambda error: error.get("_order", 0))
    for error in result.errors:
        error.pop("_order", None)
    return result


# Reading one row ------------------------------------------------------------


def _error(errors, where, field_name, message, order):
    errors.append({**where, "field": field_name, "message": message, "_order": order})


def _read_row(raw, where, now, errors, times):
    order = where.get("row", 0)
    if not isinstance(raw, dict):
        _error(errors, where, "readings", _("A reading must be an object with meter_no, read_at and kwh."), order)
        return None
    meter_no = raw.get("meter_no")
    meter_no = str(meter_no).strip() if isinstance(meter_no, str | int) and not isinstance(meter_no, bool) else ""
    if not meter_no or len(meter_no) > 100 or forbidden_character(meter_no) is not None:
        _error(errors, where, "meter_no", _("Give the meter number (text of at most 100 characters)."), order)
        return None
    where = {**where, "meter_no": meter_no}
    read_at = _read_time(raw.get("read_at"), times)
    if read_at is None:
        _error(
            errors,
            where,
            "read_at",
            _("The time of the reading must be a date and time, e.g. 2023-06-14T08:00:00+08:00."),
            order,
        )
        return None
    if read_at[0] > now + FUTURE_TOLERANCE:
        _error(errors, where, "read_at", _("The time of the reading is in the future."), order)
        return None
    kwh = _read_kwh(raw.get("kwh"))
    if kwh is None:
        _error(errors, where, "kwh", _("The kWh must be a number with at most 2 decimals."), order)
        return None
    if kwh < 0:
        _error(errors, where, "kwh", _("The kWh cannot be negative (%(kwh)s).") % {"kwh": kwh}, order)
        return None
    if kwh > KWH_MAX:
        _error(errors, where, "kwh", _("The kWh is too large (%(kwh)s).") % {"kwh": kwh}, order)
        return None
    moment, stamp, micros = read_at
    return _Row(0, meter_no, moment, kwh, where, stamp=stamp, micros=micros)


def _read_time(value, cache=None):
    """The reading's aware time, or None; ``cache`` keeps the times of the
    batch already read (a day's batch shares a handful)."""
    if cache is not None:
        key = value if isinstance(value, str) else None
        if key is None or key not in cache:
            moment = _read_time(value)
            found = None if moment is None else (moment, moment.isoformat(), _micros(moment))
            if key is None:
                return found
            cache[key] = found
        return cache[key]
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip().replace(" ", "T", 1))
        except ValueError:
            return None
    else:
        return None
    if parsed is None:
        return None
    if timezone.is_naive(parsed):
        # A time without its offset is the site's local time (Beijing).
        parsed = timezone.make_aware(parsed)
    if not 1990 <= parsed.year <= 9998:
        return None
    return parsed


def _read_kwh(value):
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        value = repr(value)
    try:
        number = decimal.Decimal(str(value).strip())
    except (decimal.InvalidOperation, ValueError):
        return None
    if not number.is_finite() or number != number.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_DOWN):
        return None
    return number.quantize(decimal.Decimal("0.01"))


# The batch as a whole -------------------------------------------------------------


def _resolve_wells(rows, errors):
    """Each row's well by its meter number (archived wells do not take
    readings); rows of unknown or shared meters are refused."""
    meters = sorted({row.meter_no for row in rows})
    wells = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT w.meter_no, w.id FROM (SELECT DISTINCT meter_no FROM {KEYS}) k "
                f"JOIN {Well._meta.db_table} w ON w.meter_no = k.meter_no AND w.archived_at IS NULL"
            )
            found = cursor.fetchall()
    else:
        found = []
        for start in range(0, len(meters), 500):
            found += Well.objects.filter(
                meter_no__in=meters[start : start + 500], archived_at__isnull=True
            ).values_list("meter_no", "pk")
    for meter_no, pk in found:
        wells.setdefault(meter_no, []).append(pk)
    kept = []
    for row in rows:
        found = wells.get(row.meter_no, [])
        if len(found) == 1:
            row.well_id = found[0]
            kept.append(row)
        elif not found:
            _error(
                errors,
                row.where,
                "meter_no",
                _("No well of the ledger has the meter number %(meter)s.") % {"meter": row.meter_no},
                row.where.get("row", 0),
            )
        else:
            _error(
                errors,
                row.where,
                "meter_no",
                _("The meter number %(meter)s is recorded on %(count)s wells: correct the ledger first.")
                % {"meter": row.meter_no, "count": len(found)},
                row.where.get("row", 0),
            )
    return kept


def _drop_repeats(rows, result):
    """A (meter, time) given twice in the batch: a duplicate with the same
    kWh, refused with another."""
    seen = {}
    kept = []
    for row in rows:
        key = (row.meter_no, row.read_at)
        first = seen.get(key)
        if first is None:
            seen[key] = row
            kept.append(row)
        elif first.kwh == row.kwh:
            result.duplicates += 1
        else:
            _error(
                result.errors,
                row.where,
                "kwh",
                _("The batch gives this meter and time twice, with %(first)s and %(second)s kWh.")
                % {"first": first.kwh, "second": row.kwh},
                row.where.get("row", 0),
            )
    return kept


def _latest_stored(meters, earliest):
    """{meter_no: (read_at, kwh)}: each meter's latest stored reading in the
    last PREVIOUS_WITHIN_DAYS days before the batch's latest time."""
    if not meters:
        return {}
    since = earliest - datetime.timedelta(days=PREVIOUS_WITHIN_DAYS)
    latest = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Times as whole microseconds and kWh as text: psycopg's loaders
            # of timestamps and numerics are Python, 50,000 of each a batch.
            cursor.execute(
                f"""SELECT m.meter_no, {_MICROS.format("l.read_at")}, l.kwh::text
                FROM (SELECT DISTINCT meter_no FROM {KEYS}) AS m
                CROSS JOIN LATERAL (
                    SELECT r.read_at, r.kwh FROM {partitions.TABLE} r
                    WHERE r.meter_no = m.meter_no AND r.read_at >= %s
                    ORDER BY r.read_at DESC LIMIT 1
                ) l""",
                [since],
            )
            for meter_no, micros, kwh in cursor.fetchall():
                latest[meter_no] = (micros, decimal.Decimal(kwh))
        return latest
    for meter_no, read_at, kwh in (
        MeterReading.objects.filter(meter_no__in=meters, read_at__gte=since)
        .order_by("meter_no", "read_at")
        .values_list("meter_no", "read_at", "kwh")
    ):
        latest[meter_no] = (_micros(read_at), kwh)
    return latest


def _stored_pairs(pairs):
    """Which of the (meter, time) pairs are stored already."""
    if not pairs:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"""SELECT r.meter_no, {_MICROS.format("r.read_at")} FROM {KEYS} k
                JOIN {partitions.TABLE} r ON r.meter_no = k.meter_no AND r.read_at = k.read_at"""
            )
            return set(cursor.fetchall())
    found = set()
    by_meter = {}
    for meter_no, read_at in pairs:
        by_meter.setdefault(meter_no, set()).add(read_at)
    for meter_no, read_at in MeterReading.objects.filter(meter_no__in=by_meter).values_list("meter_no", "read_at"):
        if _micros(read_at) in by_meter[meter_no]:
            found.add((meter_no, _micros(read_at)))
    return found


def _chain(rows, register, result):
    """Each row's consumption from the reading before it (stored, or the
    batch's own), after setting aside the rows already stored."""
    if not rows:
        return rows
    rows.sort(key=lambda row: (row.meter_no, row.read_at))
    latest = _latest_stored({row.meter_no for row in rows}, min(row.read_at for row in rows))
    behind = [
        (row.meter_no, row.micros) for row in rows if row.meter_no in latest and row.micros <= latest[row.meter_no][0]
    ]
    stored = _stored_pairs(behind)
    kept = []
    previous_meter, previous = None, None
    for row in rows:
        if (row.meter_no, row.micros) in stored:
            result.duplicates += 1
            continue
        if row.meter_no != previous_meter:
            previous_meter, previous = row.meter_no, latest.get(row.meter_no)
        if previous is not None and row.micros <= previous[0]:
            _error(
                result.errors,
                row.where,
                "read_at",
                _("This reading is older than the meter's latest stored reading (%(latest)s): readings go forward.")
                % {"latest": _shown(previous[0])},
                row.where.get("row", 0),
            )
            continue
        if register:
            if previous is not None and row.kwh < previous[1]:
                _error(
                    result.errors,
                    row.where,
                    "kwh",
                    _("The register goes backwards: %(kwh)s kWh after %(previous)s kWh on %(at)s.")
                    % {
                        "kwh": row.kwh,
                        "previous": previous[1],
                        "at": _shown(previous[0]),
                    },
                    row.where.get("row", 0),
                )
                continue
            row.consumed = None if previous is None else row.kwh - previous[1]
        else:
            row.consumed = row.kwh
        previous = (row.micros, row.kwh)
        kept.append(row)
    return kept


def _insert(rows, register):
    """Insert the rows, skipping any stored meanwhile; returns how many
    went in."""
    if connection.vendor != "postgresql":
        before = MeterReading.objects.count()
        MeterReading.objects.bulk_create(
            [
                MeterReading(
                    meter_no=row.meter_no,
                    read_at=row.read_at,
                    well_id=row.well_id,
                    kwh=row.kwh,
                    register=register,
                    consumed_kwh=row.consumed,
                )
                for row in rows
            ],
            batch_size=500,
            ignore_conflicts=True,
        )
        return MeterReading.objects.count() - before
    first = timezone.localtime(min(row.read_at for row in rows)).date()
    last = timezone.localtime(max(row.read_at for row in rows)).date()
    months = [partitions.month_start(first)]
    while months[-1] < partitions.month_start(last):
        months.append(partitions.next_month(months[-1]))
    partitions.ensure_partitions(connection, months)
    flag = "t" if register else "f"
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS meters_staging ("
            "meter_no varchar(100), read_at timestamptz, well_id bigint, kwh numeric(14, 2), "
            "register boolean, consumed_kwh numeric(14, 2)) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(
            "COPY meters_staging (meter_no, read_at, well_id, kwh, register, consumed_kwh) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row((row.meter_no, row.stamp, row.well_id, str(row.kwh), flag, row.consumed))
        cursor.execute(
            f"""WITH stored AS (
                INSERT INTO {partitions.TABLE} (meter_no, read_at, well_id, kwh, register, consumed_kwh)
                SELECT meter_no, read_at, well_id, kwh, register, consumed_kwh FROM meters_staging
                ON CONFLICT DO NOTHING RETURNING 1
            ) SELECT count(*) FROM stored"""
        )
        stored = cursor.fetchone()[0]
        cursor.execute("TRUNCATE meters_staging")
    return stored
