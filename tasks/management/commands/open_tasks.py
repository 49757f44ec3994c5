"""``manage.py open_tasks``: the first round of tasks for wells that have none."""

from django.core.management.base import BaseCommand

from tasks.services import open_first_tasks


class Command(BaseCommand):
    help = (
        "Give their first round of tasks to live wells that have none though their campaign has duties "
        "(wells added before the campaign's work plan). In batches; safe to run again. Run daily."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{open_first_tasks():,} tasks opened.")
