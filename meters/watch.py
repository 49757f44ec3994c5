"""The meter watch's rules (DESIGN §8, 井电双控 / 以电折水), the daily scan
of ``manage.py meter_watch``:

- **Suspected reuse** (疑似复启): a well that is disconnected, sealed or
  accepted (:data:`~meters.choices.CLOSED_STATUSES`) whose meter drew
  ``METER_ALERT_KWH`` or more in a day opens a ticket of source ``meter``,
  assigned to the well's responsible unit, due ``METER_TICKET_DAYS`` later.
- **Emergency use without approval**: a retained well kept as an emergency
  source alerts the same way on a day no approved emergency-use period
  (:class:`~meters.models.EmergencyUse`) covers.

**Episodes**: one ticket per episode, not per reading. An episode begins
with a day whose consumption reaches the threshold and lasts until its
ticket is closed — settled by an inspection or a patrol's finding of the
well (:func:`settle_from_inspection`), or closed by review. While a well
has a meter ticket that is not closed, nothing new is opened for it (the
next days' readings, resent batches and a second run of the scan add
nothing). Once the ticket is closed, only consumption read *after* the
moment it was closed counts toward a new episode: readings of the old
episode that arrive late do not open another ticket.

**以电折水**: a well's estimated abstraction is its consumption times its
coefficient, its own (:class:`~meters.models.WellCoefficient`) or its
use's default (:class:`~meters.models.UseCoefficient`, the first of its
uses in the order of ``Use``)."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from meters.choices import CLOSED_STATUSES, EMERGENCY_STATUS, EMERGENCY_USE, FALLBACK_COEFFICIENT
from meters.models import EmergencyUse, MeterReading, UseCoefficient, WellCoefficient
from supervision.choices import TicketSource, TicketState
from supervision.models import Ticket, TicketEvent
from supervision.workflow import open_ticket, settle
from wells.choices import Use
from wells.models import Well


def day_bounds(day):
    zone = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time.min, zone)
    return start, start + datetime.timedelta(days=1)


def _watched():
    """The wells whose consumption is watched: closed ones, and retained
    emergency sources."""
    return Q(status__in=CLOSED_STATUSES) | Q(status=EMERGENCY_STATUS, uses__contains=f",{EMERGENCY_USE},")


def scan(day, *, threshold=None, today=None):
    """Open the alert tickets that ``day``'s readings call for; returns the
    tickets opened. Run once a day (it may run again: it opens nothing
    twice)."""
    threshold = Decimal(threshold if threshold is not None else settings.METER_ALERT_KWH)
    today = today or timezone.localdate()
    start, end = day_bounds(day)
    drawn = dict(
        MeterReading.objects.filter(read_at__gte=start, read_at__lt=end, consumed_kwh__gt=0)
        .values_list("well_id")
        .annotate(kwh=Sum("consumed_kwh"))
        .filter(kwh__gte=threshold)
        .values_list("well_id", "kwh")
    )
    if not drawn:
        return []
    wells = {
        well.pk: well
        for well in Well.objects.filter(_watched(), pk__in=list(drawn), archived_at__isnull=True).select_related(
            "responsible_unit"
        )
    }
    if not wells:
        return []
    meter_tickets = Ticket.objects.filter(source=TicketSource.METER, well_id__in=list(wells))
    open_for = set(meter_tickets.exclude(state=TicketState.CLOSED).values_list("well_id", flat=True))
    closed_at = dict(
        TicketEvent.objects.filter(ticket__in=meter_tickets, to_state=TicketState.CLOSED)
        .values_list("ticket__well_id")
        .annotate(at=Max("created_at"))
        .values_list("ticket__well_id", "at")
    )
    approved = set(
        EmergencyUse.objects.filter(well_id__in=list(wells), starts_on__lte=day, ends_on__gte=day).values_list(
            "well_id", flat=True
        )
    )
    opened = []
    for pk, well in sorted(wells.items()):
        if pk in open_for or pk in approved:
            continue
        kwh = drawn[pk]
        settled = closed_at.get(pk)
        if settled is not None and settled >= start:
            # The last episode was settled during the day: only what was
            # read after it counts toward a new one.
            kwh = (
                MeterReading.objects.filter(well_id=pk, read_at__gt=settled, read_at__lt=end).aggregate(
                    kwh=Sum("consumed_kwh")
                )["kwh"]
                or 0
            )
            if kwh < threshold:
                continue
        opened.append(_open_alert(well, day, kwh, today))
    return opened


def _open_alert(well, day, kwh, today):
    if well.status == EMERGENCY_STATUS:
        text = _(
            "Suspected reuse: the retained emergency well %(well)s drew %(kwh)s kWh on %(day)s "
            "without an approved emergency use (meter %(meter)s)."
        )
    else:
        text = _(
            "Suspected reuse: the well %(well)s, %(status)s, drew %(kwh)s kWh on %(day)s (meter %(meter)s). "
            "Inspect it and record what was found."
        )
    description = text % {
        "well": well.code,
        "status": well.get_status_display(),
        "kwh": kwh,
        "day": day.isoformat(),
        "meter": well.meter_no,
    }
    due_on = today + datetime.timedelta(days=settings.METER_TICKET_DAYS)
    with transaction.atomic():
        return open_ticket(
            source=TicketSource.METER, description=description, well=well, assign=(well.responsible_unit, due_on)
        )


def settle_from_inspection(inspection, origin):
    """The ``on_inspection`` hook of wells.changes: a 回头看 or a patrol's
    finding of the well, dated on or after an open meter alert's day,
    settles the alert (whatever it found: a finding of reuse opens its own
    ticket, through supervision's hook)."""
    tickets = Ticket.objects.filter(source=TicketSource.METER, well_id=inspection.well_id).exclude(
        state=TicketState.CLOSED
    )
    for ticket in tickets:
        if timezone.localdate(ticket.created_at) > inspection.inspected_on:
            continue
        note = _("Settled by the inspection of %(date)s: “%(result)s”.") % {
            "date": inspection.inspected_on.isoformat(),
            "result": inspection.get_result_display(),
        }
        settle(ticket, inspection=inspection, note=note)


# 以电折水 ---------------------------------------------------------------------------


def coefficient(well):
    """(m³ per kWh, where it comes from) for ``well``."""
    own = WellCoefficient.objects.filter(well=well).values_list("m3_per_kwh", flat=True).first()
    if own is not None:
        return own, _("this well's own coefficient")
    defaults = dict(UseCoefficient.objects.values_list("use", "m3_per_kwh"))
    uses = set((well.uses or "").strip(",").split(",")) if isinstance(well.uses, str) else set(well.uses or ())
    for use in Use.values:
        if use in uses and use in defaults:
            return defaults[use], _("the default of the use “%(use)s”") % {"use": Use(use).label}
    return FALLBACK_COEFFICIENT, _("the fallback coefficient")


def first_month(today, months=12):
    """The first day of the month ``months - 1`` months before today's."""
    first = datetime.date(today.year, today.month, 1)
    for _step in range(months - 1):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return first


def monthly(well, *, months=12, today=None, factor=None, days=None):
    """The well's consumption and estimated abstraction per month, the last
    ``months`` months to this one: [{month, kwh, m3}], oldest first.
    ``days``, the well's :func:`daily` series from the first of those
    months, spares the query (the well page has it for its chart)."""
    today = today or timezone.localdate()
    first = first_month(today, months)
    if factor is None:
        factor, _source = coefficient(well)
    if days is None:
        days = daily(well, since=first)
    by_month = {}
    for day, kwh in days:
        if day >= first:
            key = day.strftime("%Y-%m")
            by_month[key] = by_month.get(key, Decimal("0")) + Decimal(str(kwh or 0))
    answer = []
    month = first
    while month <= today:
        kwh = by_month.get(month.strftime("%Y-%m"), Decimal("0")).quantize(Decimal("0.01"))
        answer.append({"month": month.strftime("%Y-%m"), "kwh": kwh, "m3": (kwh * factor).quantize(Decimal("0.1"))})
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return answer


def daily(well, *, since):
    """[(day, kWh)] of the well's consumption from ``since`` (a day) on, one
    query on the (well, time) index."""
    start, _end = day_bounds(since)
    return [
        (day, kwh)
        for day, kwh in MeterReading.objects.filter(well_id=well.pk, read_at__gte=start)
        .annotate(day=TruncDate("read_at"))
        .values_list("day")
        .annotate(kwh=Sum("consumed_kwh"))
        .order_by("day")
        .values_list("day", "kwh")
    ]


# The work report -------------------------------------------------------------------


def report_figures(wells, campaign, as_of):
    """The work report's meter figures (registered with
    ``tasks.sources.figure_source``), over the report's wells: the alerts
    opened by the end of ``as_of``, the wells they concern, and those still
    open then; ``meter_watch`` says whether any reading came in."""
    _start, end = day_bounds(as_of)
    tickets = Ticket.objects.filter(source=TicketSource.METER, well__in=wells, created_at__lt=end)
    closed = TicketEvent.objects.filter(
        ticket__in=tickets, to_state=TicketState.CLOSED, created_at__lt=end
    ).values_list("ticket_id", flat=True)
    alerts = list(tickets.values_list("pk", "well_id"))
    closed = set(closed)
    return {
        "meter_watch": MeterReading.objects.filter(read_at__lt=end).exists(),
        "meter_alerts": len(alerts),
        "meter_alert_wells": len({well for _pk, well in alerts}),
        "meter_alerts_open": sum(1 for pk, _well in alerts if pk not in closed),
    }
