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

    def __init__(self, object_list, per_page, orphans=0, allow_empty_first_page=True, *, total=None):
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.total = total

    @cached_property
    def counted(self):
        """The exact total when it was given; else the rows, counted up to
        one past the cap."""
        if self.total is not None:
            return self.total
        return self.object_list.order_by()[: self.cap + 1].count()

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
