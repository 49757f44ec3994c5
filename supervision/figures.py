"""The work report's figures of supervision (seed 000 §三(五): 共开展巡查检查
[X]次，“回头看”行动[X]次, and the public's reports), as of a day.
:func:`work_report_counts` is what ``tasks.reports`` fills them from."""

import datetime

from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.utils import timezone

from supervision.choices import PatrolState, TicketAction, TicketSource
from supervision.models import Patrol, PatrolWell, Ticket, TicketEvent
from wells.choices import InspectionResult
from wells.models import Inspection, Well


def _end_of(day):
    """The first instant after ``day`` in the site's time zone."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, timezone.get_current_timezone()
    )


def work_report_counts(campaign, as_of):
    """The campaign's supervision figures as of the end of ``as_of``:

    - ``patrols``: patrols finished (巡查检查), ``patrols_counting`` those that
      met the campaign's minimums, ``patrol_km`` their length;
    - ``patrol_inspections``: wells inspected on those patrols;
    - ``revisits``: inspections (回头看) of the campaign's wells, by patrol or
      by hand, ``reuse_found`` those that found a well in use;
    - ``public_reports`` (举报) received and ``public_reports_closed`` of them
      closed; ``tickets`` of every source and ``tickets_closed``.

    Tickets count for the campaign when their well is one of its wells, or
    when they name no well (a report of a new place). A handful of queries,
    whatever the numbers."""
    end = _end_of(as_of)
    patrols = Patrol.objects.filter(campaign=campaign, state=PatrolState.FINISHED, finished_at__lt=end).aggregate(
        patrols=Count("pk"), patrols_counting=Count("pk", filter=Q(counts=True)), metres=Sum("length_m")
    )
    patrol_inspections = PatrolWell.objects.filter(
        patrol__campaign=campaign, inspection__isnull=False, inspection__inspected_on__lte=as_of
    ).count()
    inspections = Inspection.objects.filter(well__campaign=campaign, inspected_on__lte=as_of).aggregate(
        revisits=Count("pk"), reuse_found=Count("pk", filter=Q(result=InspectionResult.IN_USE))
    )
    closed = TicketEvent.objects.filter(ticket=OuterRef("pk"), action=TicketAction.REVIEW_PASS, created_at__lt=end)
    tickets = (
        Ticket.objects.filter(Q(well__campaign=campaign) | Q(well__isnull=True), created_at__lt=end)
        .annotate(closed_by_then=Exists(closed))
        .aggregate(
            tickets=Count("pk"),
            tickets_closed=Count("pk", filter=Q(closed_by_then=True)),
            public_reports=Count("pk", filter=Q(source=TicketSource.PUBLIC)),
            public_reports_closed=Count("pk", filter=Q(source=TicketSource.PUBLIC, closed_by_then=True)),
        )
    )
    return {
        "patrols": patrols["patrols"],
        "patrols_counting": patrols["patrols_counting"],
        "patrol_km": round((patrols["metres"] or 0) / 1000, 1),
        "patrol_inspections": patrol_inspections,
        **inspections,
        **tickets,
    }


REPORT_FIGURES = ("patrols", "patrols_counting", "patrol_km", "public_reports", "public_reports_closed")


def report_figures(wells, campaign, as_of):
    """What the work report takes from supervision (registered with
    ``tasks.sources.figure_source``): the patrols and the public's reports,
    campaign-wide — so only for a reader who sees every well of the
    campaign (``wells``); a township's own report keeps to its inspections."""
    if wells.count() != Well.objects.filter(campaign=campaign, archived_at__isnull=True).count():
        return {}
    counts = work_report_counts(campaign, as_of)
    return {name: counts[name] for name in REPORT_FIGURES}
