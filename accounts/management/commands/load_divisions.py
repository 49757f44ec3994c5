from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.divisions import XINJIANG, load_divisions


class Command(BaseCommand):
    help = "Load the administrative divisions from a CSV (path, name, level, parent); all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("csv", nargs="?", default=str(XINJIANG), help="Default: accounts/data/divisions_65.csv")

    def handle(self, *args, csv, **options):
        try:
            created, updated = load_divisions(csv)
        except (OSError, ValidationError) as error:
            raise CommandError(" ".join(getattr(error, "messages", [str(error)]))) from None
        self.stdout.write(self.style.SUCCESS(f"{created} divisions created, {updated} updated."))
