"""The meter watch (井电双控 / 以电折水, DESIGN §8): the grid company's
electricity readings per meter, the m³-per-kWh coefficients that turn them
into estimated abstraction, and the approved emergency-use periods of the
retained wells.

Readings are written only by :mod:`meters.ingest`; the alert tickets only
through :mod:`supervision.workflow` (called by :mod:`meters.watch`)."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wellclosure.validators import no_control_characters
from wells.choices import Use
from wells.models import Well


class MeterReading(models.Model):
    """One reading of one meter at one time, as the grid company sent it.

    On PostgreSQL the table is partitioned by month of ``read_at``
    (migration 0001; the daily job ``meter_watch`` creates the partitions
    ahead), and its primary key is (meter, time): PostgreSQL wants the
    partition key in every unique constraint, and that pair is what makes a
    resent reading a duplicate. ``well`` is the well the meter belonged to
    when the reading came in, kept without a database constraint so that a
    load by COPY checks no foreign key per row (wells are archived, never
    deleted). ``consumed_kwh`` is the energy drawn since the meter's
    previous reading: ``kwh`` itself for an interval reading, the register's
    rise for a cumulative one (empty for a register's first reading)."""

    pk = models.CompositePrimaryKey("meter_no", "read_at")
    meter_no = models.CharField(_("electricity meter number"), max_length=100)
    read_at = models.DateTimeField(_("read at"))
    well = models.ForeignKey(
        Well, verbose_name=_("well"), on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    kwh = models.DecimalField(_("kWh as sent"), max_digits=14, decimal_places=2)
    register = models.BooleanField(_("cumulative register"))
    consumed_kwh = models.DecimalField(_("consumption (kWh)"), max_digits=14, decimal_places=2, null=True)

    class Meta:
        verbose_name = _("meter reading")
        verbose_name_plural = _("meter readings")
        # A well's series (its chart); the day's scan reads by time (a BRIN
        # index on PostgreSQL, migration 0001).
        indexes = [models.Index(fields=["well", "read_at"], name="meter_reading_well_time")]

    def __str__(self):
        return f"{self.meter_no} @ {self.read_at:%Y-%m-%d %H:%M}: {self.kwh}"


class UseCoefficient(models.Model):
    """The default 以电折水 coefficient of a use (m³ of water per kWh),
    which a well of that use takes unless it has its own."""

    use = models.CharField(_("use"), max_length=20, choices=Use.choices, unique=True)
    m3_per_kwh = models.DecimalField(_("m³ per kWh"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    source = models.CharField(
        _("where the figure comes from"), max_length=200, blank=True, validators=[no_control_characters]
    )

    class Meta:
        verbose_name = _("default coefficient")
        verbose_name_plural = _("default coefficients")
        ordering = ["use"]

    def __str__(self):
        return f"{self.get_use_display()}: {self.m3_per_kwh} m³/kWh"


class WellCoefficient(models.Model):
    """A well's own coefficient, measured on its pump (水泵效率测定),
    instead of its use's default."""

    well = models.OneToOneField(Well, verbose_name=_("well"), on_delete=models.CASCADE, related_name="+")
    m3_per_kwh = models.DecimalField(_("m³ per kWh"), max_digits=6, decimal_places=2, validators=[MinValueValidator(0)])
    note = models.CharField(_("note"), max_length=200, blank=True, validators=[no_control_characters])
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("well coefficient")
        verbose_name_plural = _("well coefficients")
        ordering = ["well__code"]

    def __str__(self):
        return f"{self.well_id}: {self.m3_per_kwh} m³/kWh"


class EmergencyUseQuerySet(models.QuerySet):
    def covering(self, day):
        """The periods that include ``day``."""
        return self.filter(starts_on__lte=day, ends_on__gte=day)


class EmergencyUse(models.Model):
    """An approved emergency use (应急启用) of a retained well: inside the
    period its consumption is its use; outside every period it alerts."""

    well = models.ForeignKey(Well, verbose_name=_("well"), on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"), max_length=1000, validators=[no_control_characters])
    starts_on = models.DateField(_("start of the period"))
    ends_on = models.DateField(_("end of the period"))
    approved_by = models.CharField(
        _("approved by"),
        max_length=150,
        validators=[no_control_characters],
        help_text=_("Who approved it, and the document."),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EmergencyUseQuerySet.as_manager()

    class Meta:
        verbose_name = _("emergency use")
        verbose_name_plural = _("emergency uses")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="emergency_use_period_forward")
        ]

    def __str__(self):
        return f"{self.well_id}: {self.starts_on} – {self.ends_on}"
