from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.divisions import load_divisions
from supervision.demo import add_demo_supervision
from tasks.services import generate_tasks
from wells.models import Campaign, Well

DEMO_FIXTURES = ["changji_2022", "changji_2022_tasks"]
DEMO_NOTICE = "昌市政办发〔2022〕7号"


class Command(BaseCommand):
    help = (
        "Load the Changji 2022 demo campaign, its duties, the demo users and the divisions of Xinjiang, "
        "unless already loaded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Load again over the existing demo rows.")

    def handle(self, *args, force=False, **options):
        loaded = Campaign.objects.filter(notice_no=DEMO_NOTICE).exists()
        if loaded and not force:
            self.stdout.write("The Changji 2022 demo data is already loaded.")
            return
        if not loaded and (Campaign.objects.exists() or Well.objects.exists()):
            # The fixtures name their rows by primary key: loaded into a
            # ledger that holds other data they would overwrite it.
            raise CommandError(
                "This database already holds a ledger without the demo: the demo data would overwrite its "
                "campaigns and wells. Load the demo into an empty database."
            )
        with transaction.atomic():
            # The administrative divisions of Xinjiang the demo's bureaus and
            # townships are placed in (accounts/data/): created or renamed,
            # never removed.
            load_divisions()
            call_command("loaddata", *DEMO_FIXTURES, verbosity=0)
            campaign = Campaign.objects.get(notice_no=DEMO_NOTICE)
            created = generate_tasks(Well.objects.filter(campaign=campaign, tasks__isnull=True))
            add_demo_supervision(campaign)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the Changji 2022 demo campaign and the demo users ({created} new tasks).")
        )
