"""``manage.py send_reminders``: today's digest (tasks.reminders)."""

from django.core.management.base import BaseCommand

from tasks.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Write and e-mail today's digest: each unit's steps due soon and overdue, the late units to the bureau, "
        "and what other apps add (overdue tickets). A second run the same day sends nothing. Run daily."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{send_reminders():,} new notifications.")
