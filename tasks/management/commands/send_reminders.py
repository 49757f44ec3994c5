from django.core.management.base import BaseCommand

from tasks.reminders import send_reminders


class Command(BaseCommand):
    help = "Remind units of tasks due soon and overdue, and escalate long-overdue tasks to the bureau. Run daily."

    def handle(self, *args, **options):
        count = send_reminders()
        self.stdout.write(f"{count} new notifications.")
