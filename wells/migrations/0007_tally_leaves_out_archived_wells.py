"""The tally leaves out archived wells (DESIGN §3: an archived well leaves
every count and figure): its triggers count a well only while its
``archived_at`` is empty, and archiving or restoring one moves it out of or
back into its group. The tally is counted again from the wells.

Written out here, as in 0005, so that this migration stays what it was when
the code around it changes."""

from django.db import migrations

KEY = "campaign_id, township_id, responsible_unit_id, category, status, deadline"
COLUMNS = f"{KEY}, wells, located, lat_sum, lng_sum"
WATCHED = ("campaign_id", "township_id", "responsible_unit_id", "category", "status", "deadline", "lat", "lng")


def _pg_rows(rows, sign):
    return f"""
        INSERT INTO wells_welltally ({COLUMNS})
        SELECT {KEY}, {sign}COUNT(*), {sign}COUNT(lat), {sign}COALESCE(SUM(lat), 0), {sign}COALESCE(SUM(lng), 0)
        FROM {rows} WHERE archived_at IS NULL GROUP BY {KEY};"""


_MOVED = " OR ".join(
    [
        *(f"o.{column} IS DISTINCT FROM n.{column}" for column in WATCHED),
        "(o.archived_at IS NULL) IS DISTINCT FROM (n.archived_at IS NULL)",
    ]
)
PG_FUNCTIONS = [
    f"""CREATE OR REPLACE FUNCTION wells_tally_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_rows("new_wells", "")}
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION wells_tally_delete() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_rows("old_wells", "-")}
        RETURN NULL;
    END $$""",
    f"""CREATE OR REPLACE FUNCTION wells_tally_update() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_pg_rows(f"(SELECT o.* FROM old_wells o JOIN new_wells n USING (id) WHERE {_MOVED}) moved", "-")}
        {_pg_rows(f"(SELECT n.* FROM new_wells n JOIN old_wells o USING (id) WHERE {_MOVED}) moved", "")}
        RETURN NULL;
    END $$""",
]


def _sqlite_row(side, sign):
    keys = ", ".join(f"{side}.{column.strip()}" for column in KEY.split(","))
    return (
        f"INSERT INTO wells_welltally ({COLUMNS}) SELECT {keys}, {sign}1, {sign}({side}.lat IS NOT NULL), "
        f"{sign}COALESCE({side}.lat, 0), {sign}COALESCE({side}.lng, 0) WHERE {side}.archived_at IS NULL;"
    )


_SQLITE_MOVED = (
    f"({', '.join(f'OLD.{c}' for c in WATCHED)}) IS NOT ({', '.join(f'NEW.{c}' for c in WATCHED)}) "
    "OR (OLD.archived_at IS NULL) IS NOT (NEW.archived_at IS NULL)"
)
SQLITE_DROP = [f"DROP TRIGGER IF EXISTS wells_tally_{op}" for op in ("insert", "delete", "update")]
SQLITE_INSTALL = [
    f"CREATE TRIGGER wells_tally_insert AFTER INSERT ON wells_well BEGIN {_sqlite_row('NEW', '')} END",
    f"CREATE TRIGGER wells_tally_delete AFTER DELETE ON wells_well BEGIN {_sqlite_row('OLD', '-')} END",
    f"""CREATE TRIGGER wells_tally_update AFTER UPDATE OF {", ".join(WATCHED)}, archived_at ON wells_well
        WHEN {_SQLITE_MOVED}
        BEGIN {_sqlite_row("OLD", "-")} {_sqlite_row("NEW", "")} END""",
]

REFILL = [
    "DELETE FROM wells_welltally",
    f"""INSERT INTO wells_welltally ({COLUMNS})
    SELECT {KEY}, COUNT(*), COUNT(lat), COALESCE(SUM(lat), 0), COALESCE(SUM(lng), 0) FROM wells_well
    WHERE archived_at IS NULL GROUP BY {KEY}""",
]


def leave_out_archived(apps, schema_editor):
    postgresql = schema_editor.connection.vendor == "postgresql"
    statements = PG_FUNCTIONS if postgresql else [*SQLITE_DROP, *SQLITE_INSTALL]
    for statement in [*statements, *REFILL]:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("wells", "0006_well_history_records")]

    # Back to 0005's triggers is 0005 applied again: not worth a reverse.
    operations = [migrations.RunPython(leave_out_archived, migrations.RunPython.noop, elidable=False)]
