"""``manage.py clear_import_previews``: remove import previews never
confirmed or cancelled (wells.excel.staging); run_daily_jobs does it daily."""

from django.core.management.base import BaseCommand

from wells.excel import staging


class Command(BaseCommand):
    help = "Remove the staged import previews older than a day (their confirmation never came). Run daily."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=staging.MAX_AGE, help="seconds (default a day)")

    def handle(self, *args, max_age, **options):
        removed = staging.clear_expired(max_age)
        self.stdout.write(f"{removed} staged import files removed.")
