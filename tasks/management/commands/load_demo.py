from django.core.management import call_command
from django.core.management.base import BaseCommand

from wells.models import Campaign

DEMO_FIXTURE = "changji_2022"
DEMO_NOTICE = "昌市政办发〔2022〕7号"


class Command(BaseCommand):
    help = "Load the Changji 2022 demo campaign and the demo users, unless it is already loaded."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load again over the existing demo rows.")

    def handle(self, *args, force=False, **options):
        if Campaign.objects.filter(notice_no=DEMO_NOTICE).exists() and not force:
            self.stdout.write("The Changji 2022 demo data is already loaded.")
            return
        call_command("loaddata", DEMO_FIXTURE, verbosity=0)
        self.stdout.write(self.style.SUCCESS("Loaded the Changji 2022 demo campaign and the demo users."))
