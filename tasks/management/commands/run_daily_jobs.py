"""``manage.py run_daily_jobs``: every daily job, in order (settings.DAILY_JOBS)."""

import resource
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run the daily jobs of settings.DAILY_JOBS in order — open_tasks, reschedule_tasks, send_reminders, "
        "well_tally compact, clear_import_previews — each timed. One cron line for all of them."
    )

    def handle(self, *args, **options):
        for job in settings.DAILY_JOBS:
            started = time.monotonic()
            call_command(*job, stdout=self.stdout, stderr=self.stderr)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            self.stdout.write(
                f"  {' '.join(job)}: {time.monotonic() - started:.1f} s (peak memory so far {peak:.0f} MB)"
            )
