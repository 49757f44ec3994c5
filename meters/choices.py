"""Every code of the meter watch (井电双控 / 以电折水, DESIGN §8), written
once: what a batch's kWh figures are, the wells the watch guards, and the
default m³-per-kWh coefficients."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from wells.choices import Status, Use


class ReadingKind(models.TextChoices):
    """What a batch's ``kwh`` figures are (the batch's ``kind`` field)."""

    # The meter's register (表码): cumulative, never goes backwards; the
    # consumption is the difference from the meter's previous reading.
    REGISTER = "register", _("Cumulative register")
    # The energy drawn since the meter's previous reading (电量).
    INTERVAL = "interval", _("Interval consumption")


# A well in one of these states must draw no electricity: consumption on it
# is a suspected reuse (疑似复启).
CLOSED_STATUSES = frozenset({Status.DISCONNECTED, Status.SEALED, Status.ACCEPTED})
# A retained well kept as an emergency source draws only inside an
# approved emergency-use period (应急启用).
EMERGENCY_STATUS = Status.RETAINED
EMERGENCY_USE = Use.EMERGENCY

# The default coefficients (以电折水系数, m³ of water per kWh) per use,
# written into the UseCoefficient table by the migration and editable in
# the admin. These are PLACEHOLDERS of the order of North China's 以电折水
# practice (2–4 m³/kWh for a shallow well's pump): a bureau sets its own
# from its pump-efficiency tests (水泵效率测定); a well's own coefficient,
# when set, wins.
DEFAULT_COEFFICIENTS = {
    Use.IRRIGATION: Decimal("3.00"),
    Use.DOMESTIC: Decimal("2.50"),
    Use.LIVESTOCK: Decimal("2.50"),
    Use.INDUSTRIAL: Decimal("2.00"),
    Use.GREENING: Decimal("3.00"),
    Use.EMERGENCY: Decimal("2.50"),
}
# A well whose uses have no coefficient (none recorded) takes this one.
FALLBACK_COEFFICIENT = Decimal("2.50")
