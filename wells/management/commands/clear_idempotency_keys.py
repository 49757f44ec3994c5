"""``manage.py clear_idempotency_keys``: forget the API's Idempotency-Keys
past their days (wells.idempotency)."""

from django.core.management.base import BaseCommand

from wells import idempotency


class Command(BaseCommand):
    help = (
        "Remove the stored answers of Idempotency-Keys older than IDEMPOTENCY_KEY_DAYS (the offline queue's "
        "resends come within minutes or days). Run daily."
    )

    def handle(self, *args, **options):
        self.stdout.write(f"{idempotency.clear_expired():,} idempotency keys removed.")
