"""The ledger's figures (DESIGN §3), each defined once: what is overdue,
what the completion rate is, and the summary that the API, the dashboard,
the export and the work report all show.

:class:`LedgerFigures` is written for two querysets: the wells, where each
row counts one, and the well tally (:class:`wells.models.WellTally`), where
each row counts its ``wells``. Both have the columns the figures read
(campaign, township, responsible unit, category, status, deadline), so a
figure cannot mean one thing on the dashboard and another in the API."""

from django.db.models import Q
from django.db.models.functions import Substr
from django.utils import timezone

from accounts.choices import PATH_LENGTHS
from wells.choices import SETTLED_STATUSES, Status

# The figures a summary counts; to_close and the completion rate follow.
COUNTED = ("total", "retained", "accepted", "sealed", "overdue")


def is_overdue(status, deadline, today):
    """The overdue rule for one well's status and deadline on ``today``:
    neither accepted nor retained, and past the deadline. Its query form is
    :func:`overdue_q`."""
    return status not in SETTLED_STATUSES and deadline is not None and deadline < today


def overdue_q(today=None):
    """:func:`is_overdue` as a query condition on the wells (or the tally)."""
    return ~Q(status__in=SETTLED_STATUSES) & Q(deadline__lt=today or timezone.localdate())


def completion_rate(accepted, to_close):
    """Completion rate = accepted ÷ (wells − retained), a fraction 0–1;
    None when nothing is to be closed."""
    return accepted / to_close if to_close else None


class LedgerFigures:
    """The ledger's figures over a queryset of wells or of their tally."""

    def well_count(self, condition=None):
        """An aggregate expression: how many wells meet ``condition``."""
        raise NotImplementedError

    def located(self):
        """An aggregate: how many wells have a position, and the sums of
        their latitudes and longitudes (for a group's centre on the map)."""
        raise NotImplementedError

    def overdue(self, today=None):
        """Not accepted, not retained, and today is past the deadline."""
        return self.filter(overdue_q(today))

    def summary_counts(self, today=None):
        """The dashboard's figures in one aggregate query."""
        counts = self.order_by().aggregate(**_summary_aggregates(self, today or timezone.localdate()))
        return _with_completion_rate(counts)

    def summary_by_unit(self, today=None):
        """One row of :meth:`summary_counts` per responsible unit that has
        wells, by the unit's name."""
        rows = (
            self.order_by()
            .values("responsible_unit_id", "responsible_unit__name")
            .annotate(**_summary_aggregates(self, today or timezone.localdate()))
            .filter(total__gt=0)
            .order_by("responsible_unit__name", "responsible_unit_id")
        )
        return [_with_completion_rate(row) for row in rows]

    def summary(self, today=None):
        """(totals, one row per unit) of :meth:`summary_by_unit`. Every well
        has one responsible unit, so the totals are the sum of the units'
        rows: one pass over the wells instead of two."""
        units = self.summary_by_unit(today)
        totals = _with_completion_rate({name: sum(row[name] for row in units) for name in COUNTED})
        return totals, units

    def status_counts(self):
        """{status: wells} for the statuses that have wells."""
        rows = self.order_by().values_list("status").annotate(n=self.well_count()).filter(n__gt=0)
        return dict(rows)

    def to_close_by_deadline(self):
        """[(responsible unit id, deadline, wells)] of the wells to close
        (all but the retained): the plan, as the deadlines spread it."""
        return list(
            self.exclude(status=Status.RETAINED)
            .order_by()
            .values_list("responsible_unit_id", "deadline")
            .annotate(n=self.well_count())
            .filter(n__gt=0)
            .order_by("deadline", "responsible_unit_id")
        )

    def by_division(self, parent=None, today=None):
        """One row of :meth:`summary_counts` per division one level below
        ``parent`` (an :class:`accounts.models.Division`; None: the
        regions) that has wells, by the path of the division of the wells'
        townships cut to that level's length, and a row of ``path`` None
        for the wells of no township or of a township placed in no division
        (only without a ``parent``: below one, every well lies in it). The
        rows sum to the totals of the same wells: each well has one
        township, and a township one division."""
        length = next((n for n in PATH_LENGTHS.values() if n > len(parent.path if parent else "")), None)
        if length is None:
            return []
        figures = self if parent is None else self.filter(township__division__path__startswith=parent.path)
        rows = (
            figures.order_by()
            .annotate(division_path=Substr("township__division__path", 1, length))
            .values("division_path")
            .annotate(**_summary_aggregates(self, today or timezone.localdate()))
            .filter(total__gt=0)
            .order_by("division_path")
        )
        return [_with_completion_rate(row) for row in rows]

    def by_township(self, today=None):
        """One row of :meth:`summary_counts` per township (None for wells of
        no township), with ``located``, ``lat_sum`` and ``lng_sum``."""
        rows = (
            self.order_by()
            .values("township_id", "township__code", "township__name")
            .annotate(**_summary_aggregates(self, today or timezone.localdate()), **self.located())
            .filter(total__gt=0)
            .order_by("township__code")
        )
        return [_with_completion_rate(row) for row in rows]


def _summary_aggregates(figures, today):
    return {
        "total": figures.well_count(),
        "retained": figures.well_count(Q(status=Status.RETAINED)),
        "accepted": figures.well_count(Q(status=Status.ACCEPTED)),
        "sealed": figures.well_count(Q(status=Status.SEALED)),
        "overdue": figures.well_count(overdue_q(today)),
    }


def _with_completion_rate(counts):
    """``counts`` with ``to_close`` and the completion rate rounded to four
    places (as the API shows it)."""
    counts["to_close"] = counts["total"] - counts["retained"]
    rate = completion_rate(counts["accepted"], counts["to_close"])
    counts["completion_rate"] = None if rate is None else round(rate, 4)
    return counts


def rolled_up(figures, parent, totals, today=None):
    """The drill-down of ``figures`` below ``parent`` (a Division, or None
    for the regions): :meth:`LedgerFigures.by_division` with each row's
    division (``path``, 12-digit ``code``, ``name``, ``level``), and one
    more row of ``path`` None for what ``totals`` (the same figures'
    summary) hold outside ``parent`` or in no division, so that the rows
    always sum to the totals. None below a township."""
    from accounts.models import Division  # accounts is below wells; imported late for the models' load order

    if parent is not None and parent.child_level is None:
        return []  # a township: nothing below it
    rows = figures.by_division(parent, today)
    names = Division.objects.filter(path__in=[row["division_path"] for row in rows if row["division_path"]]).in_bulk(
        field_name="path"
    )
    for row in rows:
        division = names.get(row.pop("division_path") or "")
        row.update(
            path=division.path if division else None,
            code=division.code if division else None,
            name=division.name if division else None,
            level=division.level if division else None,
        )
    rest = {name: totals[name] - sum(row[name] for row in rows) for name in COUNTED}
    if any(rest.values()):
        rows.append(_with_completion_rate(rest) | {"path": None, "code": None, "name": None, "level": None})
    return rows
