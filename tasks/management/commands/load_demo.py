from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from tasks.services import generate_tasks
from wells.models import Campaign, Well

DEMO_FIXTURES = ["changji_2022", "changji_2022_tasks"]
DEMO_NOTICE = "昌市政办发〔2022〕7号"


class Command(BaseCommand):
    help = "Load the Changji 2022 demo campaign, its duties and the demo users, unless already loaded."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load again over the existing demo rows.")

    def handle(self, *args, force=False, **options):
        if Campaign.objects.filter(notice_no=DEMO_NOTICE).exists() and not force:
            self.stdout.write("The Changji 2022 demo data is already loaded.")
            return
        with transaction.atomic():
            call_command("loaddata", *DEMO_FIXTURES, verbosity=0)
            campaign = Campaign.objects.get(notice_no=DEMO_NOTICE)
            created = generate_tasks(Well.objects.filter(campaign=campaign, tasks__isnull=True))
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the Changji 2022 demo campaign and the demo users ({created} new tasks).")
        )
