"""The readings table's monthly partitions on PostgreSQL (declarative
partitioning by range of ``read_at``). Migration 0001 creates the table
and the partitions of the current and next months; the daily job
(``manage.py meter_watch``) creates each month's partition ahead, so that a
reading never arrives before its month's table. Elsewhere (SQLite) the
table is plain and these do nothing.

A partition is named ``meters_meterreading_YYYYMM`` and holds the readings
read from the first instant of that month (in the site's time zone) to the
first of the next. Readings outside every partition are refused by
PostgreSQL; :func:`ensure_partitions` is also called by the ingest for the
months a batch touches, so a late or early batch finds its month."""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

TABLE = "meters_meterreading"


def month_start(day):
    return datetime.date(day.year, day.month, 1)


def next_month(day):
    return datetime.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def partition_name(month):
    return f"{TABLE}_{month:%Y%m}"


def create_table_sql():
    """The partitioned parent with its primary key, the well's series index
    (as the model declares it) and a BRIN index on the time for the day's
    scan: a few pages per partition, since readings arrive in time order."""
    return [
        f"""CREATE TABLE {TABLE} (
            meter_no varchar(100) NOT NULL,
            read_at timestamp with time zone NOT NULL,
            well_id bigint NOT NULL,
            kwh numeric(14, 2) NOT NULL,
            register boolean NOT NULL,
            consumed_kwh numeric(14, 2) NULL,
            PRIMARY KEY (meter_no, read_at)
        ) PARTITION BY RANGE (read_at)""",
        f"CREATE INDEX meter_reading_well_time ON {TABLE} (well_id, read_at)",
        f"CREATE INDEX meter_reading_time_brin ON {TABLE} USING brin (read_at)",
    ]


def existing(cursor):
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s",
        [TABLE],
    )
    return {row[0] for row in cursor.fetchall()}


def ensure_partitions(connection, months):
    """Create the partitions of ``months`` (first days) that do not exist
    yet; returns the names created. Nothing on a database other than
    PostgreSQL."""
    if connection.vendor != "postgresql":
        return []
    zone = ZoneInfo(settings.TIME_ZONE)
    created = []
    with connection.cursor() as cursor:
        have = existing(cursor)
        for month in sorted({month_start(m) for m in months}):
            name = partition_name(month)
            if name in have:
                continue
            lower = datetime.datetime.combine(month, datetime.time.min, zone)
            upper = datetime.datetime.combine(next_month(month), datetime.time.min, zone)
            # DDL takes no parameters: the bounds are our own ISO times.
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF {TABLE} "
                f"FOR VALUES FROM ('{lower.isoformat()}') TO ('{upper.isoformat()}')"
            )
            created.append(name)
    return created


def months_ahead(today, count=2):
    """The first days of this month and the ``count - 1`` next ones."""
    months = [month_start(today)]
    while len(months) < count:
        months.append(next_month(months[-1]))
    return months
