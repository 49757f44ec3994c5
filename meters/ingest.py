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

On PostgreSQL a batch is checked set-wise (:func:`_ingest_postgresql`):
Python reads each row once, cheaply (:func:`_plain_lines`: the common
shapes of a number, a time and a meter number pass a compiled pattern, and
only the others take the full checks of :func:`_read_row`), the good rows
go by one ``COPY`` into a temporary table, and one query decides each
row's fate there (its well by a join, the repeats and the register chain
by window functions seeded from each meter's latest stored reading), and
one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` stores the accepted ones:
the primary key (meter, time) decides, also between two batches loaded at
once. Only the refused and duplicate rows come back to Python. The
partitions of the months of the accepted rows are created first
(:func:`meters.partitions.ensure_partitions`). Elsewhere (SQLite) the same
rules run row by row in Python (:func:`_ingest_portable`) and the rows go
in by ``bulk_create(ignore_conflicts=True)``; both give the same answer
(tests/meters/test_ingest_setwise.py runs both on PostgreSQL). Nothing here
scans for alerts: that is the daily job's (:mod:`meters.watch`)."""

import datetime
import decimal
import math
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, connection, transaction
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
_MICROS = "(extract(epoch from {0}) * 1000000)::bigint"


def _micros(moment):
    return (moment - EPOCH) // datetime.timedelta(microseconds=1)


def _shown(micros):
    moment = EPOCH + datetime.timedelta(microseconds=micros)
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


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
    where = where or _row_number
    register = kind == ReadingKind.REGISTER
    if connection.vendor == "postgresql":
        result = _ingest_postgresql(readings, register, where)
    else:
        result = _ingest_portable(readings, register, where)
    result.errors.sort(key=lambda error: error.get("_order", 0))
    for error in result.errors:
        error.pop("_order", None)
    return result


def _row_number(index):
    return {"row": index + 1}


def _ingest_portable(readings, register, where):
    """The rules row by row in Python, on any database."""
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
        # An empty batch, or every row refused on its own: nothing to look up.
        return result
    with transaction.atomic():
        rows = _resolve_wells(rows, result.errors)
        rows = _drop_repeats(rows, result)
        rows = _chain(rows, register, result)
        if rows:
            result.stored = _insert(rows, register)
            result.duplicates += len(rows) - result.stored
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
    # "-0" is zero, shown as 0.00 (PostgreSQL's numeric has no negative zero).
    return abs(number.quantize(decimal.Decimal("0.01"))) if not number else number.quantize(decimal.Decimal("0.01"))


# The batch as a whole -------------------------------------------------------------


def _resolve_wells(rows, errors):
    """Each row's well by its meter number (archived wells do not take
    readings); rows of unknown or shared meters are refused."""
    meters = sorted({row.meter_no for row in rows})
    wells = {}
    found = []
    for start in range(0, len(meters), 500):
        found += Well.objects.filter(meter_no__in=meters[start : start + 500], archived_at__isnull=True).values_list(
            "meter_no", "pk"
        )
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
    partitions.ensure_partitions(connection, _months(row.read_at for row in rows))
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


def _months(moments):
    """The first days of the months (in the site's time zone) from the
    earliest of ``moments`` to the latest."""
    moments = list(moments)
    first = timezone.localtime(min(moments)).date()
    last = timezone.localtime(max(moments)).date()
    months = [partitions.month_start(first)]
    while months[-1] < partitions.month_start(last):
        months.append(partitions.next_month(months[-1]))
    return months


# The set-wise path (PostgreSQL) ----------------------------------------------

# The shapes that need none of _read_row's work: a meter number of printable
# ASCII without a backslash (nothing to strip, escape or refuse), a kWh of
# at most 12 digits and 2 decimals without sign or leading zero (a
# non-negative number ≤ KWH_MAX that PostgreSQL reads as Python's Decimal
# would). Anything else takes the full checks, row by row.
_PLAIN_METER = re.compile(r"[!-\[\]-~](?:[ -\[\]-~]{0,98}[!-\[\]-~])?")
_PLAIN_KWH = re.compile(r"(?:0|[1-9][0-9]{0,11})(?:\.[0-9]{1,2})?")
_PLAIN_INT_MAX = 999_999_999_999
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_UNSEEN = object()


def _plain_lines(readings, where, now, errors):
    """The batch's good rows as lines of COPY text (index, meter, time,
    kWh), the bad ones named in ``errors`` as :func:`_read_row` names them.
    One pass, one line a row: a day's batch repeats a handful of times, so
    each distinct time is read once."""
    lines = []
    stamps = {}  # a time as sent → its ISO form, or None when _read_row must say why
    times = {}
    latest = now + FUTURE_TOLERANCE
    plain_meter, plain_kwh = _PLAIN_METER.fullmatch, _PLAIN_KWH.fullmatch
    for index, raw in enumerate(readings):
        if type(raw) is dict:
            meter_no, read_at, kwh = raw.get("meter_no"), raw.get("read_at"), raw.get("kwh")
            kind = type(kwh)
            if kind is str:
                kwh = kwh if plain_kwh(kwh) else None
            elif kind is int:
                kwh = str(kwh) if 0 <= kwh <= _PLAIN_INT_MAX else None
            elif kind is float:
                kwh = repr(kwh)
                kwh = kwh if plain_kwh(kwh) else None
            else:
                kwh = None
            kind = type(read_at)
            if kwh is not None and type(meter_no) is str and (kind is str or kind is datetime.datetime):
                # Two equal aware times with other offsets may fall in other
                # years (1990 is the first one taken): one key per offset.
                key = read_at if kind is str else (read_at, read_at.utcoffset())
                stamp = stamps.get(key, _UNSEEN)
                if stamp is _UNSEEN:
                    moment = _read_time(read_at)
                    stamp = stamps[key] = None if moment is None or moment > latest else moment.isoformat()
                if stamp is not None and plain_meter(meter_no):
                    lines.append(f"{index}\t{meter_no}\t{stamp}\t{kwh}\n")
                    continue
        row = _read_row(raw, where(index), now, errors, times)
        if row is not None:
            lines.append(f"{index}\t{row.meter_no.translate(_COPY_ESCAPES)}\t{row.stamp}\t{row.kwh}\n")
    return lines


# Each row's fate, decided in one query over the batch's temporary table:
ACCEPTED, NO_WELL, SHARED, REPEATED, REPEATED_OTHER, STORED, OLDER, BACKWARDS = range(8)
_BATCH = "meters_batch"
_FATE = "meters_batch_fate"
_FATE_SQL = f"""
WITH batch AS (
    SELECT b.idx, b.meter_no, b.read_at, b.kwh, f.wells, f.well_id,
        row_number() OVER same AS nth, first_value(b.kwh) OVER same AS first_kwh
    FROM {_BATCH} b JOIN (
        -- One probe per meter of the live wells' meter-number index, which
        -- holds the well's id (migration 0002: an index-only scan; a hash
        -- of the million wells costs more than the batch's probes).
        SELECT k.meter_no, w.wells, w.well_id
        FROM (SELECT DISTINCT meter_no FROM {_BATCH}) k
        CROSS JOIN LATERAL (
            SELECT count(*) AS wells, min(w.id) AS well_id FROM {Well._meta.db_table} w
            WHERE w.meter_no = k.meter_no AND w.archived_at IS NULL
        ) w
    ) f ON f.meter_no = b.meter_no
    WINDOW same AS (PARTITION BY b.meter_no, b.read_at ORDER BY b.idx)
), kept AS MATERIALIZED (
    SELECT idx, meter_no, read_at, kwh, well_id FROM batch WHERE wells = 1 AND nth = 1
), early AS (
    -- Each row looks up its meter's latest stored reading itself: the
    -- planner cannot count the kept rows, and a join of them with a set
    -- of meters it believes to be one row became a loop of 50,000².
    SELECT k.*, l.read_at AS latest_at,
        CASE WHEN l.read_at IS NULL THEN NULL ELSE ARRAY[l.kwh, {_MICROS.format("l.read_at")}] END AS seed,
        CASE WHEN k.read_at > l.read_at OR l.read_at IS NULL THEN {ACCEPTED}
            -- Stored already when the latest stored reading up to its time
            -- is at its time: a probe of the primary key in its order, which
            -- the planner takes even when a new partition's statistics still
            -- say it is empty (an EXISTS took the well's index, and scanned
            -- all of it for each row).
            WHEN (
                SELECT s.read_at FROM {partitions.TABLE} s
                WHERE s.meter_no = k.meter_no AND s.read_at <= k.read_at
                    AND s.read_at >= (SELECT min(read_at) FROM kept) - make_interval(hours => %(within_hours)s)
                ORDER BY s.read_at DESC LIMIT 1
            ) = k.read_at THEN {STORED}
            ELSE {OLDER} END AS fate
    FROM kept k LEFT JOIN LATERAL (
        SELECT r.read_at, r.kwh FROM {partitions.TABLE} r
        WHERE r.meter_no = k.meter_no
            AND r.read_at >= (SELECT min(read_at) FROM kept) - make_interval(hours => %(within_hours)s)
        ORDER BY r.read_at DESC LIMIT 1
    ) l ON true
), chain AS (
    -- The reading before a row is the last one accepted; a refused row is
    -- below the highest register before it, so the last accepted is the
    -- highest (kWh, then time) of the seed and every row before it.
    SELECT e.*, greatest(e.seed, max(ARRAY[e.kwh, {_MICROS.format("e.read_at")}]) OVER (
        PARTITION BY e.meter_no, e.fate ORDER BY e.read_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
    )) AS previous
    FROM early e
)
INSERT INTO {_FATE} (idx, meter_no, read_at, kwh, well_id, fate, wells, other_kwh, other_at, consumed_kwh)
SELECT idx, meter_no, read_at, kwh, well_id,
    CASE WHEN wells = 0 THEN {NO_WELL} WHEN wells > 1 THEN {SHARED}
        WHEN kwh = first_kwh THEN {REPEATED} ELSE {REPEATED_OTHER} END,
    wells, first_kwh, NULL, NULL
FROM batch WHERE NOT (wells = 1 AND nth = 1)
UNION ALL
SELECT idx, meter_no, read_at, kwh, well_id,
    CASE WHEN fate <> {ACCEPTED} THEN fate
        WHEN NOT %(register)s OR previous IS NULL OR kwh >= previous[1] THEN {ACCEPTED}
        ELSE {BACKWARDS} END,
    1,
    CASE WHEN fate = {ACCEPTED} THEN previous[1] END,
    CASE WHEN fate = {OLDER} THEN {_MICROS.format("latest_at")} WHEN fate = {ACCEPTED} THEN previous[2] END,
    CASE WHEN NOT %(register)s THEN kwh WHEN previous IS NULL THEN NULL ELSE kwh - previous[1] END
FROM chain
"""


def _ingest_postgresql(readings, register, where):
    """The rules set-wise (see the module's docstring); the same answer as
    :func:`_ingest_portable`."""
    result = IngestResult()
    lines = _plain_lines(readings, where, timezone.now(), result.errors)
    if not lines:
        # An empty batch, or every row refused on its own: nothing to look up.
        return result
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_BATCH} "
            "(idx integer, meter_no varchar(100), read_at timestamptz, kwh numeric(14, 2)) ON COMMIT DELETE ROWS"
        )
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_FATE} (idx integer, meter_no varchar(100), "
            "read_at timestamptz, kwh numeric(14, 2), well_id bigint, fate smallint, wells integer, "
            "other_kwh numeric(14, 2), other_at bigint, consumed_kwh numeric(14, 2)) ON COMMIT DELETE ROWS"
        )
        # Two batches in one transaction (a check, then the store) find
        # the first's rows still there.
        cursor.execute(f"TRUNCATE {_BATCH}, {_FATE}")
        # The query's cost estimate (50,000 index probes) calls for JIT,
        # whose compiling takes longer (0.2 s) than the probes save.
        cursor.execute("SET LOCAL jit = off")
        # The batch's sorts (by meter and time, twice) in memory, not on disk.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        with cursor.cursor.copy(f"COPY {_BATCH} (idx, meter_no, read_at, kwh) FROM STDIN") as copy:
            copy.write("".join(lines))
        cursor.execute(_FATE_SQL, {"register": register, "within_hours": 24 * PREVIOUS_WITHIN_DAYS})
        cursor.execute(f"SELECT min(read_at), max(read_at) FROM {_FATE} WHERE fate = {ACCEPTED}")
        first, last = cursor.fetchone()
        if first is not None:
            partitions.ensure_partitions(connection, _months([first, last]))
            insert = f"""INSERT INTO {partitions.TABLE} (meter_no, read_at, well_id, kwh, register, consumed_kwh)
                SELECT meter_no, read_at, well_id, kwh, %s, consumed_kwh FROM {_FATE} WHERE fate = {ACCEPTED}"""
            try:
                # The query found none of these stored: a plain insert (a
                # third cheaper than ON CONFLICT's speculative one) ...
                with transaction.atomic():
                    cursor.execute(insert, [register])
            except IntegrityError:
                # ... unless a batch loaded at the same time stored some
                # first: then the primary key decides.
                cursor.execute(insert + " ON CONFLICT DO NOTHING", [register])
            result.stored = cursor.rowcount
            cursor.execute(f"SELECT count(*) FROM {_FATE} WHERE fate = {ACCEPTED}")
            result.duplicates += cursor.fetchone()[0] - result.stored
        cursor.execute(
            f"""SELECT idx, meter_no, fate, wells, kwh::text, other_kwh::text, other_at,
                {_MICROS.format("read_at")} FROM {_FATE} WHERE fate <> {ACCEPTED} ORDER BY idx"""
        )
        refused = cursor.fetchall()
    _name_refusals(refused, where, result)
    return result


def _name_refusals(refused, where, result):
    """The errors of the rows the query refused, in the order the portable
    path finds them (the wells, then the repeats, then the chain by meter
    and time), and the count of the duplicates."""
    chain = []
    repeats = []
    for idx, meter_no, fate, wells, kwh, other_kwh, other_at, micros in refused:
        if fate in (REPEATED, STORED):
            result.duplicates += 1
            continue
        row_where = {**where(idx), "meter_no": meter_no}
        order = row_where.get("row", 0)
        if fate == NO_WELL:
            message = _("No well of the ledger has the meter number %(meter)s.") % {"meter": meter_no}
            _error(result.errors, row_where, "meter_no", message, order)
        elif fate == SHARED:
            message = _("The meter number %(meter)s is recorded on %(count)s wells: correct the ledger first.") % {
                "meter": meter_no,
                "count": wells,
            }
            _error(result.errors, row_where, "meter_no", message, order)
        elif fate == REPEATED_OTHER:
            message = _("The batch gives this meter and time twice, with %(first)s and %(second)s kWh.") % {
                "first": other_kwh,
                "second": kwh,
            }
            repeats.append((row_where, "kwh", message, order))
        elif fate == OLDER:
            message = _(
                "This reading is older than the meter's latest stored reading (%(latest)s): readings go forward."
            ) % {"latest": _shown(other_at)}
            chain.append(((meter_no, micros), (row_where, "read_at", message, order)))
        else:
            message = _("The register goes backwards: %(kwh)s kWh after %(previous)s kWh on %(at)s.") % {
                "kwh": kwh,
                "previous": other_kwh,
                "at": _shown(other_at),
            }
            chain.append(((meter_no, micros), (row_where, "kwh", message, order)))
    for error in repeats:
        _error(result.errors, *error)
    for _key, error in sorted(chain, key=lambda item: item[0]):
        _error(result.errors, *error)
