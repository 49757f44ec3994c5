"""``manage.py meter_watch``: the meter watch's daily job (cron, after the
grid company's night delivery). It creates the readings' partitions of this
month and the next (PostgreSQL), then scans a day's readings (yesterday's by
default) and opens the 疑似复启 tickets they call for (meters.watch.scan).
Run again, it opens nothing twice."""

import datetime
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from meters import partitions
from meters.watch import scan


class Command(BaseCommand):
    help = "Create the readings' partitions ahead and open the alerts of a day's meter readings (default: yesterday)."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="The day to scan, YYYY-MM-DD (default: yesterday).")
        parser.add_argument("--months-ahead", type=int, default=2, help="Partitions to have from this month on.")

    def handle(self, *args, day=None, months_ahead=2, **options):
        today = timezone.localdate()
        if day:
            try:
                day = datetime.date.fromisoformat(day)
            except ValueError:
                raise CommandError("--day must be a date written YYYY-MM-DD.") from None
        else:
            day = today - datetime.timedelta(days=1)
        created = partitions.ensure_partitions(connection, partitions.months_ahead(today, max(1, months_ahead)))
        started = time.monotonic()
        opened = scan(day, today=today)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{day}: {len(opened)} alert ticket(s) opened in {seconds:.1f} s; "
            f"{len(created)} partition(s) created ({', '.join(created) or '-'})."
        )
