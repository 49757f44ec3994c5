from django.core.management.base import BaseCommand

from tasks.reminders import send_reminders
from tasks.services import sync_tasks
from wells import idempotency, tally
from wells.excel import staging


class Command(BaseCommand):
    help = (
        "Give new wells their tasks and move due dates after deadline changes, then remind units of tasks due "
        "soon and overdue and escalate long-overdue tasks to the bureau; fold the well tally's rows together. "
        "Run daily."
    )

    def handle(self, *args, **options):
        created, moved = sync_tasks()
        count = send_reminders()
        _before, rows = tally.compact()
        # Import previews never confirmed or cancelled.
        staging.clear_expired()
        # The API's Idempotency-Keys past their days (the offline queue's resends).
        idempotency.clear_expired()
        self.stdout.write(
            f"{created} new tasks, {moved} due dates moved, {count} new notifications; well tally in {rows} rows."
        )
