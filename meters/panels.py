"""What the meter watch shows where people look (registered with
:mod:`wells.panels` from ``MetersConfig.ready``): a well's consumption chart
with its closure steps marked and its estimated abstraction per month, and
the dashboard's closed wells drawing electricity."""

import datetime

from django.db.models import Q, Sum
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from meters import watch
from meters.choices import CLOSED_STATUSES
from meters.models import MeterReading
from supervision.choices import TicketSource, TicketState
from supervision.models import Ticket
from wells.choices import Action
from wells.models import WellEvent

# The closure steps marked on the chart.
MARKED_ACTIONS = (Action.DISCONNECT, Action.SEAL, Action.ACCEPT, Action.RETAIN, Action.REACTIVATE)
# The dashboard's list of wells drawing electricity: the first ones shown.
DASHBOARD_SHOWN = 10


def well_panel(request, well):
    if not well.meter_no:
        return ""
    today = timezone.localdate()
    factor, source = watch.coefficient(well)
    # One query of the readings for the chart's year and the table's 12
    # calendar months (from the first of the month 11 months back).
    first = min(watch.first_month(today), today - datetime.timedelta(days=364))
    days = watch.daily(well, since=first)
    months = watch.monthly(well, today=today, factor=factor, days=days)
    year_ago = today - datetime.timedelta(days=364)
    series = [(day, kwh) for day, kwh in days if day >= year_ago]
    events = WellEvent.objects.filter(well=well, action__in=MARKED_ACTIONS).order_by("pk")
    marks = [
        {"day": timezone.localdate(event.created_at).isoformat(), "name": str(event.get_action_display())}
        for event in events.only("created_at", "action")
    ]
    data = {
        "days": [[day.isoformat(), float(kwh or 0)] for day, kwh in series],
        "marks": marks,
        "labels": {"kwh": _("kWh per day"), "none": _("No reading in the last year.")},
    }
    context = {
        "well": well,
        "months": months,
        "factor": factor,
        "factor_source": source,
        "total_kwh": sum(row["kwh"] for row in months),
        "total_m3": sum(row["m3"] for row in months),
        "chart_data": data,
        "has_readings": bool(series),
        "open_alerts": Ticket.objects.filter(source=TicketSource.METER, well=well)
        .exclude(state=TicketState.CLOSED)
        .only("pk", "tracking", "due_on", "state"),
    }
    return render_to_string("meters/well_panel.html", context, request=request)


def closed_wells_drawing(wells, *, limit=DASHBOARD_SHOWN):
    """The closed wells among ``wells`` that the watch found drawing
    electricity (a meter ticket), with their consumption since their
    closure (its first power cut, seal or acceptance): (rows, the count of
    such wells). One query when there are none, five at most."""
    flagged = Ticket.objects.filter(source=TicketSource.METER, well__in=wells.filter(status__in=CLOSED_STATUSES))
    count = flagged.values("well_id").distinct().count()
    if not count:
        return [], 0
    well_ids = list(flagged.order_by("-created_at").values_list("well_id", flat=True).distinct()[: limit * 3])
    seen = []
    for pk in well_ids:
        if pk not in seen:
            seen.append(pk)
    seen = seen[:limit]
    closed_on = {}
    for pk, at in (
        WellEvent.objects.filter(well_id__in=seen, action__in=(Action.DISCONNECT, Action.SEAL, Action.ACCEPT))
        .order_by("well_id", "pk")
        .values_list("well_id", "created_at")
    ):
        closed_on.setdefault(pk, at)
    since_closure = Q(pk__in=[])
    for pk in seen:
        since_closure |= Q(well_id=pk, read_at__gte=closed_on[pk]) if pk in closed_on else Q(well_id=pk)
    drawn = dict(
        MeterReading.objects.filter(since_closure)
        .values_list("well_id")
        .annotate(kwh=Sum("consumed_kwh"))
        .values_list("well_id", "kwh")
    )
    well_rows = {w.pk: w for w in wells.filter(pk__in=seen).only("pk", "code", "owner_name", "status")}
    rows = [
        {"well": well_rows[pk], "since": closed_on.get(pk), "kwh": drawn.get(pk) or 0} for pk in seen if pk in well_rows
    ]
    return rows, count


def dashboard_panel(request, wells):
    rows, count = closed_wells_drawing(wells)
    context = {"rows": rows, "count": count}
    return render_to_string("meters/dashboard_panel.html", context, request=request)


__all__ = ["closed_wells_drawing", "dashboard_panel", "well_panel"]
