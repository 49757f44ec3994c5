"""The meter watch at a province's scale (issue 18), on a database filled by
``manage.py generate_wells --count 1000000`` and migrated:

    DATABASE_URL=postgres://…/wc_meters_bench .venv/bin/python bench/meter_bench.py

1. ingest: a day of interval readings for every well with a meter, through
   meters.ingest (COPY into a temporary table, INSERT … ON CONFLICT DO
   NOTHING), in batches of METER_BATCH_MAX; readings/s;
2. the same day resent (all duplicates);
3. the daily scan over that day (meters.watch.scan);
4. a well's one-year chart: 365 daily readings, then the well page's
   series and months (meters.watch.daily + monthly), median of 20;
5. a second reading of the day for every meter (half an hour later), by
   METER_BENCH_LOADERS (default 2) processes at once, each with its own
   connection, as the API's workers take concurrent batches; readings/s;
6. with METER_BENCH_HISTORY_DAYS=N (default 0): N days before the day
   filled for every other meter by one INSERT … SELECT a day (setting up,
   not measured as an ingest), so that the chart's latest months are
   partitions of a million wells' daily readings (30 days: some 30 million
   rows), then the chart of step 4 timed again.

It writes readings and tickets into the database it is given: use a scratch
copy. Prints one JSON object."""

import datetime
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellclosure.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from meters import partitions, watch  # noqa: E402
from meters.choices import CLOSED_STATUSES, EMERGENCY_STATUS  # noqa: E402
from meters.ingest import ingest  # noqa: E402
from wells.models import Well  # noqa: E402


def main():
    day = timezone.localdate() - datetime.timedelta(days=1)
    start, _end = watch.day_bounds(day)
    read_at = (start + datetime.timedelta(hours=23)).isoformat()
    meters = list(Well.objects.exclude(meter_no="").values_list("meter_no", "status"))
    rng = random.Random(18)
    # Wells being closed draw as pumps do; a closed or retained well draws
    # nothing, but for one in a thousand (the reuse the watch looks for).
    quiet = CLOSED_STATUSES | {EMERGENCY_STATUS}

    def kwh(status):
        if status in quiet:
            return "12.25" if rng.random() < 0.001 else "0.00"
        return f"{rng.uniform(0, 40):.2f}"

    rows = [{"meter_no": m, "read_at": read_at, "kwh": kwh(status)} for m, status in meters]
    batch = settings.METER_BATCH_MAX
    result = {"wells_with_meters": len(meters), "batch": batch, "day": day.isoformat()}

    started = time.perf_counter()
    stored = 0
    for i in range(0, len(rows), batch):
        stored += ingest(rows[i : i + batch], "interval").stored
    seconds = time.perf_counter() - started
    result.update(ingest_rows=len(rows), stored=stored, ingest_s=round(seconds, 1))
    result["ingest_per_s"] = round(len(rows) / seconds)
    print(json.dumps(result), file=sys.stderr, flush=True)

    started = time.perf_counter()
    duplicates = 0
    for i in range(0, len(rows), batch):
        duplicates += ingest(rows[i : i + batch], "interval").duplicates
    seconds = time.perf_counter() - started
    result.update(resend_duplicates=duplicates, resend_s=round(seconds, 1))
    print(json.dumps(result), file=sys.stderr, flush=True)

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE meters_meterreading")
    started = time.perf_counter()
    opened = watch.scan(day)
    result.update(scan_s=round(time.perf_counter() - started, 1), alerts_opened=len(opened))
    print(json.dumps(result), file=sys.stderr, flush=True)

    well = Well.objects.exclude(meter_no="").order_by("pk").first()
    eight_hours = datetime.timedelta(hours=8)
    year = [
        {
            "meter_no": well.meter_no,
            "read_at": (watch.day_bounds(day - datetime.timedelta(days=n))[0] + eight_hours).isoformat(),
            "kwh": "1.00",
        }
        for n in range(365, 0, -1)
    ]
    # The day's reading of this meter came first: a series grows forward,
    # so it goes, and the year comes in in order.
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM meters_meterreading WHERE meter_no = %s", [well.meter_no])
    stored_year = ingest(year, "interval").stored
    assert stored_year == len(year), stored_year
    result.update(_chart_timings(well, "chart"))
    print(json.dumps(result), file=sys.stderr, flush=True)

    later = (start + datetime.timedelta(hours=23, minutes=30)).isoformat()
    rows = [{**row, "read_at": later} for row in rows]
    batches = [rows[i : i + batch] for i in range(0, len(rows), batch)]
    loaders = int(os.environ.get("METER_BENCH_LOADERS", "2"))
    connections.close_all()  # each process opens its own
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(loaders) as pool:
        answers = pool.map(_load, [batches[i::loaders] for i in range(loaders)])
    seconds = time.perf_counter() - started
    result.update(
        parallel_loaders=loaders,
        parallel_rows=len(rows),
        parallel_stored=sum(stored for stored, _errors in answers),
        parallel_errors=sum(errors for _stored, errors in answers),
        parallel_s=round(seconds, 1),
        parallel_per_s=round(len(rows) / seconds),
    )
    history_days = int(os.environ.get("METER_BENCH_HISTORY_DAYS", "0"))
    if history_days:
        started = time.perf_counter()
        result["history_rows"] = _fill_history(day, history_days, eight_hours, skip=well.pk)
        result["history_fill_s"] = round(time.perf_counter() - started, 1)
        result.update(history_days=history_days, **_chart_timings(well, "chart_full"))
    print(json.dumps(result, ensure_ascii=False))


def _chart_timings(well, name):
    """The well page's chart of ``well``, 20 times: ``{name}_days`` (the
    days of its series), ``{name}_ms_median`` and ``{name}_ms_max``."""
    times = []
    for _ in range(20):
        started = time.perf_counter()
        # What the well page does: the coefficient, one query of the readings.
        factor, _source = watch.coefficient(well)
        days = watch.daily(well, since=watch.first_month(timezone.localdate()))
        watch.monthly(well, factor=factor, days=days)
        times.append((time.perf_counter() - started) * 1000)
    return {
        f"{name}_days": len(days),
        f"{name}_ms_median": round(statistics.median(times), 1),
        f"{name}_ms_max": round(max(times), 1),
    }


def _fill_history(day, count, at, *, skip):
    """One reading a day at ``at`` past midnight for every meter but the
    well ``skip``'s, the ``count`` days before ``day``; returns the rows."""
    first_day = day - datetime.timedelta(days=count)
    starts = [watch.day_bounds(first_day + datetime.timedelta(days=n))[0] for n in range(count)]
    partitions.ensure_partitions(connection, {timezone.localtime(start).date() for start in starts})
    rows = 0
    with connection.cursor() as cursor:
        for start in starts:
            cursor.execute(
                f"""INSERT INTO {partitions.TABLE} (meter_no, read_at, well_id, kwh, register, consumed_kwh)
                SELECT meter_no, %s, id, 1.00, false, 1.00 FROM {Well._meta.db_table}
                WHERE meter_no <> '' AND archived_at IS NULL AND id <> %s ON CONFLICT DO NOTHING""",
                [start + at, skip],
            )
            rows += cursor.rowcount
        cursor.execute(f"ANALYZE {partitions.TABLE}")
    return rows


def _load(batches):
    stored = errors = 0
    for rows in batches:
        answer = ingest(rows, "interval")
        stored += answer.stored
        errors += len(answer.errors)
    connection.close()
    return stored, errors


if __name__ == "__main__":
    main()
