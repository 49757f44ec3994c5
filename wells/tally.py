"""The well tally (:class:`wells.models.WellTally`): the ledger's figures
kept by the database as the wells change.

Triggers on the wells table append rows of differences: PostgreSQL by
statement, from the statement's transition tables (a ``COPY`` or an import
of ten thousand wells adds a handful of rows, grouped), SQLite by row. Both
are created by migration 0005.

Figures read the tally where it can answer (:func:`figures`): the caller
sees the whole ledger or a township officer's unit's wells, and filters only by what the
tally keeps. Anything else (a search, a use, a member unit's scope) is
counted from the wells by the same definitions (:class:`wells.figures.LedgerFigures`).
"""

from django.db import connections, transaction

from wells.models import Well, WellTally

# What the tally is grouped by: the columns of the wells table it copies.
KEY = ("campaign_id", "township_id", "responsible_unit_id", "category", "status", "deadline")

# The ledger filters (wells.filtersets.WellFilterSet) the tally can answer:
# those on the columns it keeps. ``ordering`` changes no figure.
TALLIED_FILTERS = frozenset(
    {
        "campaign",
        "township",
        "division",
        "unit",
        "status",
        "category",
        "overdue",
        "deadline_after",
        "deadline_before",
        "ordering",
    }
)

_TABLE = WellTally._meta.db_table
_WELLS = Well._meta.db_table
_SUMS = ("wells", "located", "lat_sum", "lng_sum")


def figures(filterset, user):
    """What to count the filtered ledger's figures from: the tally when it
    can answer for ``user`` under the filters of the valid ``filterset``
    (a :class:`wells.filtersets.WellFilterSet` over the wells), else the
    filtered wells. Either has the methods of :class:`LedgerFigures`."""
    cleaned = filterset.form.cleaned_data
    active = {name for name, value in cleaned.items() if value not in (None, "", [], ())}
    if not WellTally.objects.answers_for(user) or not active <= TALLIED_FILTERS:
        return filterset.qs
    # The same filters with the values already cleaned, on the tally (the
    # ordering changes no figure and names fields the tally has not).
    tally = WellTally.objects.visible_to(user)
    for name in active - {"ordering"}:
        tally = filterset.filters[name].filter(tally, cleaned[name])
    return tally


def of_scope(user):
    """What to count the figures of ``user``'s whole scope from: the tally
    when it holds that scope, else the wells ``user`` sees."""
    if WellTally.objects.answers_for(user):
        return WellTally.objects.visible_to(user)
    return Well.objects.visible_to(user)


def compact(using="default"):
    """Fold the tally's rows of differences into one row per group, leaving
    out groups that hold no well; returns (rows before, rows after). Safe
    beside writers: on PostgreSQL one statement deletes the rows its
    snapshot sees and adds their sums, so rows appended meanwhile stay; on
    SQLite, a single writer, the rows up to the highest id seen."""
    connection = connections[using]
    group = ", ".join(KEY)
    columns = ", ".join((*KEY, *_SUMS))
    sums = ", ".join(f"SUM({name})" for name in _SUMS)
    # A group without wells has no position either (its sums of latitudes
    # may keep a rounding residue on SQLite, which stores them as floats).
    keep = "SUM(wells) <> 0 OR SUM(located) <> 0"
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"""
                WITH folded AS (DELETE FROM {_TABLE} RETURNING {columns}),
                     added AS (INSERT INTO {_TABLE} ({columns})
                               SELECT {group}, {sums} FROM folded GROUP BY {group} HAVING {keep} RETURNING 1)
                SELECT (SELECT COUNT(*) FROM folded), (SELECT COUNT(*) FROM added)
                """
            )
            return cursor.fetchone()
        cursor.execute(f"SELECT COUNT(*), MAX(id) FROM {_TABLE}")
        before, last = cursor.fetchone()
        if last is None:
            return 0, 0
        cursor.execute(
            f"INSERT INTO {_TABLE} ({columns}) SELECT {group}, {sums} FROM {_TABLE} WHERE id <= %s "
            f"GROUP BY {group} HAVING {keep}",
            [last],
        )
        after = cursor.rowcount
        cursor.execute(f"DELETE FROM {_TABLE} WHERE id <= %s", [last])
        return before, after


def _counted_sql():
    """The tally as it should be: the wells counted by group, the archived
    ones left out."""
    return (
        f"SELECT {', '.join(KEY)}, COUNT(*), COUNT(lat), COALESCE(SUM(lat), 0), COALESCE(SUM(lng), 0) "
        f"FROM {_WELLS} WHERE archived_at IS NULL GROUP BY {', '.join(KEY)}"
    )


def rebuild(using="default"):
    """Count the tally again from the wells (after restoring a table from
    elsewhere, say). Writers to the wells wait until it is done."""
    connection = connections[using]
    with transaction.atomic(using=using), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"LOCK TABLE {_WELLS} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {_TABLE}")
        cursor.execute(f"INSERT INTO {_TABLE} ({', '.join((*KEY, *_SUMS))}) {_counted_sql()}")
        return cursor.rowcount


def differences(using="default"):
    """The groups where the tally and a count of the wells disagree:
    [(group, (tally's wells, located), (counted wells, located))]. Empty
    when the tally is right."""
    tallied, counted = {}, {}
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(KEY)}, SUM(wells), SUM(located) FROM {_TABLE} GROUP BY {', '.join(KEY)}")
        for *group, wells, located in cursor.fetchall():
            if wells or located:
                tallied[tuple(group)] = (int(wells), int(located))
        cursor.execute(_counted_sql())
        for *group, wells, located, _lat, _lng in cursor.fetchall():
            counted[tuple(group)] = (wells, located)
    return [
        (group, tallied.get(group, (0, 0)), counted.get(group, (0, 0)))
        for group in sorted(tallied.keys() | counted.keys(), key=repr)
        if tallied.get(group, (0, 0)) != counted.get(group, (0, 0))
    ]
