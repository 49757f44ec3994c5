"""``manage.py send_reminders``: today's digest (tasks.reminders)."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from tasks.models import Digest
from tasks.reminders import send_reminders


class Command(BaseCommand):
    help = (
        "Write and e-mail today's digest: each unit's steps due soon and overdue, the late units to the bureau, "
        "and what other apps add (overdue tickets). Once a day: a second run the same day sends nothing. Run daily."
    )

    def handle(self, *args, **options):
        written = Digest.objects.filter(sent_on=timezone.localdate()).first()
        if written is not None:
            self.stdout.write(
                f"Today's digest was written at {timezone.localtime(written.written_at):%H:%M} "
                f"({written.items:,} new notifications): nothing sent."
            )
            return
        self.stdout.write(f"{send_reminders():,} new notifications.")
