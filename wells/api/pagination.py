"""Keyset pagination: pages stay fast on a ledger of a million wells.

Page links carry the position of the last (or first) row seen — its value in
the ordering field and its primary key — so the next page is a ``WHERE``
on an indexed column and a ``LIMIT``, never an ``OFFSET`` that walks every
earlier row. DRF's own ``CursorPagination`` is keyed on the ordering field
alone and falls back to an offset among equal values (capped at 1000), which
breaks on deadlines that thousands of wells share, and it loses rows whose
ordering field is NULL. Here NULL sorts after every value, as PostgreSQL
does, and the primary key breaks ties.

The envelope is ``{"count", "next", "previous", "results"}`` (DESIGN §5).
``count`` is given only where it is cheap, and here that means free: when
the page is the whole filtered list (the first page, and no ``next``), its
rows are the count. Any other count is a query of its own, and at a million
wells even a ``COUNT`` bounded by a ``LIMIT`` cost up to as much as the page
itself (a dense filter, a search); the number of wells under any filters is
the summary's ``total`` (``/api/v1/stats/summary/``).

The rows may be model instances or ``values()`` dicts (the well list reads
dicts: :func:`wells.api.serializers.well_list_rows`).
"""

import base64
import binascii
import json

from django.core.exceptions import ImproperlyConfigured
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.lookups import GreaterThan, LessThan
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination, LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class RowValue(Func):
    """A row value, ``(a, b)``, which compares column by column (SQL-92;
    PostgreSQL, and SQLite since 3.15)."""

    function = ""
    template = "(%(expressions)s)"
    output_field = models.Field()


class KeysetPagination(BasePagination):
    """Pages of a queryset in its own ordering: the first term of
    ``order_by()`` (or of the model's ``Meta.ordering``) must name a
    concrete field of the model."""

    page_size = 50
    max_page_size = 500
    cursor_query_param = "cursor"
    page_size_query_param = "page_size"
    # A real cursor is well under this; anything longer is not one of ours.
    max_cursor_length = 1000

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        self.field, self.descending = self.get_ordering(queryset)
        self.pk_field = queryset.model._meta.pk
        self.pk_name = self.pk_field.attname
        self.term = f"-{self.field.name}" if self.descending else self.field.name
        cursor = self.decode_cursor(request)

        backwards = cursor is not None and cursor["backwards"]
        ordered = queryset.order_by(*self.order_by(reverse=backwards))
        wanted = self.page_size + 1
        if cursor is None:
            rows = list(ordered[:wanted])
        else:
            rows = list(ordered.filter(self.beyond(cursor["value"], cursor["pk"], backwards=backwards))[:wanted])
            if len(rows) < wanted and self.nulls_follow(cursor["value"], backwards=backwards):
                # The NULLs come after every value: a second, indexed query
                # rather than an OR that no index range can serve.
                rows += list(ordered.filter(**{f"{self.field.name}__isnull": True})[: wanted - len(rows)])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if backwards:
            rows.reverse()
        # The whole list is on this page: its rows are the count.
        self.count = len(rows) if cursor is None and not more else None

        self.next_position = self.previous_position = None
        if rows:
            if more or backwards:
                self.next_position = self.position(rows[-1])
            if (more and backwards) or (cursor is not None and not backwards):
                self.previous_position = self.position(rows[0])
        return rows

    def get_paginated_response(self, data):
        body = {} if self.count is None else {"count": self.count}
        body["next"] = self.link(self.next_position, backwards=False)
        body["previous"] = self.link(self.previous_position, backwards=True)
        body["results"] = data
        return Response(body)

    # Reading the request ---------------------------------------------------

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if not 1 <= size <= self.max_page_size:
            raise ValidationError(
                {
                    self.page_size_query_param: [
                        _("Give a whole number from 1 to %(max)s.") % {"max": self.max_page_size}
                    ]
                }
            )
        return size

    def get_ordering(self, queryset):
        terms = queryset.query.order_by or queryset.model._meta.ordering
        term = terms[0] if terms else "pk"
        if not isinstance(term, str):
            raise ImproperlyConfigured("Keyset pagination orders by a field name, not an expression.")
        name = term.lstrip("-")
        field = queryset.model._meta.pk if name == "pk" else queryset.model._meta.get_field(name)
        if not field.concrete or field.is_relation:
            raise ImproperlyConfigured(f"Keyset pagination cannot order by {term!r}.")
        return field, term.startswith("-")

    def keyset_columns(self, queryset):
        """The columns a page link needs from each row, for a ``values()``
        queryset: the ordering's field and the primary key."""
        field, _descending = self.get_ordering(queryset)
        return field.attname, queryset.model._meta.pk.attname

    def decode_cursor(self, request):
        raw = request.query_params.get(self.cursor_query_param)
        if raw is None:
            return None
        try:
            if len(raw) > self.max_cursor_length:
                raise ValueError(raw)
            decoded = json.loads(base64.urlsafe_b64decode(raw.encode("ascii") + b"=" * (-len(raw) % 4)))
            if decoded["o"] != self.term or not isinstance(decoded["b"], bool):
                raise ValueError(raw)
            if not isinstance(decoded["k"], int) or not 0 < decoded["k"] < 2**63:
                raise ValueError(raw)
            value = decoded["v"]
            if value is not None:
                # Only text, and none PostgreSQL cannot compare.
                if not isinstance(value, str) or "\x00" in value:
                    raise ValueError(raw)
                value = self.field.to_python(value)
        except (ValueError, TypeError, KeyError, UnicodeError, binascii.Error, DjangoValidationError):
            raise ValidationError({self.cursor_query_param: [_("This page link is not valid (any more).")]}) from None
        return {"value": value, "pk": decoded["k"], "backwards": decoded["b"]}

    # Building the query ----------------------------------------------------

    def order_by(self, *, reverse):
        """The page's ``ORDER BY``: the field with NULLs last, then the
        primary key; ``reverse`` walks the same order backwards."""
        descending = self.descending != reverse
        field = F(self.field.name)
        if descending:
            return [field.desc(nulls_first=True), "-pk"]
        return [field.asc(nulls_last=True), "pk"]

    def beyond(self, value, pk, *, backwards):
        """The rows after the position (value, pk) in the page's order, or
        before it when walking ``backwards`` — but for the NULLs that follow
        a value (see :meth:`nulls_follow`).

        The position is compared as one row value, ``(field, pk) > (value,
        pk)``, which PostgreSQL turns into an index condition that starts the
        scan at the position, on an index of the field and the key and on
        one of the field alone. The same as ``field > value OR (field =
        value AND pk > k)`` with a bound ``field >= value`` besides, which
        scans from the value but then filters out every row that shares it:
        at a million wells thousands share a deadline (the 100th page of the
        dashboard's overdue list: 12 ms against 0.5 ms)."""
        name = self.field.name
        if self.descending == backwards:
            if value is None:
                return Q(**{f"{name}__isnull": True, "pk__gt": pk})
            return Q(GreaterThan(self.row(F(name), F("pk")), self.row(value, pk)))
        if value is None:
            return Q(**{f"{name}__isnull": False}) | Q(**{f"{name}__isnull": True, "pk__lt": pk})
        return Q(LessThan(self.row(F(name), F("pk")), self.row(value, pk)))

    def row(self, value, pk):
        """The row value ``(value, pk)``: the field and the key, or a
        position's value and key."""
        if not hasattr(value, "resolve_expression"):
            value, pk = Value(value, output_field=self.field), Value(pk, output_field=self.pk_field)
        return RowValue(value, pk)

    def nulls_follow(self, value, *, backwards):
        """Whether rows with a NULL field come after the position: walking
        towards the end of the ascending order from a row with a value."""
        return self.field.null and value is not None and self.descending == backwards

    # Writing the links -----------------------------------------------------

    def position(self, row):
        if isinstance(row, dict):
            value, pk = row[self.field.attname], row[self.pk_name]
        else:
            value, pk = self.field.value_from_object(row), row.pk
        # As Field.value_to_string writes it (dates and times in ISO 8601),
        # and Field.to_python reads it back.
        if value is not None:
            value = value.isoformat() if hasattr(value, "isoformat") else str(value)
        return {"value": value, "pk": pk}

    def link(self, position, *, backwards):
        if position is None:
            return None
        cursor = {"o": self.term, "v": position["value"], "k": position["pk"], "b": backwards}
        encoded = base64.urlsafe_b64encode(json.dumps(cursor, separators=(",", ":")).encode()).decode("ascii")
        # Without its padding the cursor needs no escaping in a URL.
        encoded = encoded.rstrip("=")
        return replace_query_param(self.request.build_absolute_uri(), self.cursor_query_param, encoded)

    # The schema ------------------------------------------------------------

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": _("The page: take it from a response's next or previous link."),
                "schema": {"type": "string", "maxLength": self.max_cursor_length},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": _("Rows per page."),
                "schema": {"type": "integer", "minimum": 1, "maximum": self.max_page_size, "default": self.page_size},
            },
        ]

    def get_paginated_response_schema(self, schema):
        link = {"type": "string", "format": "uri", "nullable": True}
        return {
            "type": "object",
            "required": ["next", "previous", "results"],
            "properties": {
                "count": {
                    "type": "integer",
                    "minimum": 0,
                    "description": _(
                        "Rows in the whole filtered list; given only when this page holds all of them "
                        "(the first page, without a next link)."
                    ),
                },
                "next": link,
                "previous": link,
                "results": schema,
            },
        }


class HistoryPagination(LimitOffsetPagination):
    """Pages of one well's history, newest first. A well's history is read
    whole (its records and, on PostgreSQL, the field-history backstop merge
    by time), so an offset into it costs nothing more."""

    default_limit = 100
    max_limit = 500
