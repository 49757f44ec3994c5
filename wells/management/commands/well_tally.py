"""``manage.py well_tally check|compact|rebuild``: look after the well tally
(:class:`wells.models.WellTally`) that the ledger's figures are summed from."""

from django.core.management.base import BaseCommand, CommandError

from wells import tally


class Command(BaseCommand):
    help = (
        "check: compare the well tally with a count of the wells (exit status 1 on any difference); "
        "compact: fold its rows of differences together (run_daily_jobs does it daily); "
        "rebuild: count it again from the wells."
    )

    def add_arguments(self, parser):
        parser.add_argument("job", choices=["check", "compact", "rebuild"])

    def handle(self, *args, job, **options):
        if job == "compact":
            before, after = tally.compact()
            self.stdout.write(f"Well tally compacted: {before:,} rows → {after:,}.")
        elif job == "rebuild":
            rows = tally.rebuild()
            self.stdout.write(f"Well tally counted again from the wells: {rows:,} rows.")
        else:
            differences = tally.differences()
            for group, tallied, counted in differences[:20]:
                self.stderr.write(f"{dict(zip(tally.KEY, group, strict=True))}: tally {tallied}, wells {counted}")
            if differences:
                raise CommandError(
                    f"The well tally differs from the wells in {len(differences):,} groups; "
                    "run `manage.py well_tally rebuild`."
                )
            self.stdout.write("The well tally agrees with the wells.")
