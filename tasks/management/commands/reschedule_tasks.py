"""``manage.py reschedule_tasks``: open tasks' due dates back in step with
their wells' deadlines and their duties' days."""

from django.core.management.base import BaseCommand

from tasks.services import reschedule_tasks


class Command(BaseCommand):
    help = (
        "Move the open tasks whose due date no longer follows their well's deadline and their duty's days "
        "(after a duty was edited). In the database; safe to run again. Run daily, before send_reminders."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{reschedule_tasks():,} due dates moved.")
