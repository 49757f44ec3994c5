"""The demo's supervision (``manage.py load_demo``): the river-chief
practice of seeds 001 and 004 on the Changji campaign — every township and
street government patrols its closed wells once a month, and a patrol counts
from 15 minutes and 1 km."""

from supervision.choices import Frequency
from supervision.models import PatrolDuty, PatrolRule
from wells.models import Township


def add_demo_supervision(campaign):
    """The campaign's patrol rule and one monthly duty per township
    government; returns the number of duties made."""
    PatrolRule.objects.get_or_create(campaign=campaign, defaults={"min_minutes": 15, "min_metres": 1000})
    units = {township.government for township in Township.objects.select_related("government") if township.government}
    made = 0
    for unit in sorted(units, key=lambda unit: unit.name):
        _duty, created = PatrolDuty.objects.get_or_create(
            campaign=campaign, unit=unit, defaults={"frequency": Frequency.MONTHLY, "times": 1}
        )
        made += created
    return made
