"""Pages of the site's lists that may hold a million rows (issue 21): a
page never costs a COUNT over every row nor an OFFSET past the first
:data:`CAP` rows.

:class:`BoundedPaginator` is Django's paginator, except that it counts at
most ``CAP + 1`` rows (a ``COUNT`` over a ``LIMIT``) unless the caller
knows the exact total (the ledger takes it from the well tally), and lets
the pages reach the first ``CAP`` rows only. The page says when rows lie
beyond (``truncated``: narrow the list with the filters or the search) and
whether its total is exact (``exact``) or "more than" (templates
includes/pagination.html and wells/ledger.html)."""

import math

from django.core.paginator import Paginator
from django.utils.functional import cached_property

CAP = 10_000


class BoundedPaginator(Paginator):
    cap = CAP

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, total=None, cap=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.total = total
        if cap is not None:
            self.cap = cap

    @cached_property
    def counted(self):
        """The exact total when it was given; else the rows, counted up to
        one past the cap."""
        if self.total is not None:
            return self.total
        return count_up_to(self.object_list, self.cap + 1)

    @cached_property
    def count(self):
        return self.counted

    @property
    def exact(self):
        return self.total is not None or self.counted <= self.cap

    @property
    def truncated(self):
        """Rows lie past the pages that can be reached."""
        return self.counted > self.cap

    @cached_property
    def num_pages(self):
        reachable = min(self.counted, self.cap)
        if reachable == 0 and not self.allow_empty_first_page:
            return 0
        return max(1, math.ceil(reachable / self.per_page))


def count_up_to(rows, limit, *, in_order=False):
    """How many ``rows`` (a queryset or a :class:`Chain`) there are, counted
    up to ``limit``: a ``COUNT`` over a ``LIMIT``. ``in_order`` counts them
    in their own order, for rows an index gives in that order: the planner
    then walks the index and stops at the limit, where it may otherwise join
    everything first (a second to count 1,001 of a million wells' tasks,
    50 ms in order)."""
    if isinstance(rows, Chain):
        return rows.count_up_to(limit)
    return (rows.all() if in_order else rows.order_by())[:limit].count()


class Chain:
    """The rows of several querysets one after another, as one list to page:
    a unit's own tasks first, then the others', each in the order an index
    gives (an order on "whose first" is an expression no index serves, and
    sorted every open task of a million wells for each page). A slice reads
    only the querysets it spans, each sliced in the database; its length is
    counted up to what the pages can reach (``limit``, :data:`CAP` + 1),
    each part in its order."""

    def __init__(self, *parts, limit=CAP + 1):
        self.parts = parts
        self.limit = limit
        self._counts = {}

    def counts(self, limit):
        """Each part's rows, counted up to ``limit`` in all."""
        if limit not in self._counts:
            counts, left = [], limit
            for part in self.parts:
                counts.append(count_up_to(part, left, in_order=True) if left > 0 else 0)
                left -= counts[-1]
            self._counts[limit] = counts
        return self._counts[limit]

    def count_up_to(self, limit):
        return sum(self.counts(limit))

    def count(self):
        return self.count_up_to(self.limit)

    def __len__(self):
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, self.limit if index.stop is None else index.stop
        rows = []
        for part, counted in zip(self.parts, self.counts(max(stop, self.limit)), strict=True):
            if start < counted and stop > 0:
                rows += part[max(start, 0) : min(stop, counted)]
            start, stop = start - counted, stop - counted
        return rows
