# The indexes the ledger's queries use at a million wells (docs/benchmarks.md).
#
# The trigram indexes for the search ``q`` exist on PostgreSQL only: the
# migration creates the pg_trgm extension and the indexes when the database is
# PostgreSQL and does nothing on SQLite, while the model state holds them on
# every database (so ``makemigrations --check`` stays quiet).

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models

SEARCHED = (("code", "code"), ("owner_name", "owner"), ("village", "village"))


def tripled_upper(field):
    # As wells.models.tripled_upper at the time of writing.
    return models.Func(
        django.db.models.functions.text.Upper(field),
        models.Value("(.)"),
        models.Value(r"\1\1\1"),
        models.Value("g"),
        function="REGEXP_REPLACE",
        output_field=models.TextField(),
    )


def trigram_indexes():
    OpClass, GinIndex = django.contrib.postgres.indexes.OpClass, django.contrib.postgres.indexes.GinIndex
    upper = django.db.models.functions.text.Upper
    return [
        *[GinIndex(OpClass(upper(field), name="gin_trgm_ops"), name=f"well_{short}_trgm") for field, short in SEARCHED],
        *[
            GinIndex(OpClass(tripled_upper(field), name="gin_trgm_ops"), name=f"well_{short}_x3_trgm")
            for field, short in SEARCHED
        ],
    ]


def create_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner
    # may create it. Left in place when migrating back: others may use it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    well = apps.get_model("wells", "Well")
    for index in trigram_indexes():
        schema_editor.add_index(well, index)


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    well = apps.get_model("wells", "Well")
    for index in trigram_indexes():
        schema_editor.remove_index(well, index)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_groups"),
        ("wells", "0002_phase_completed_on"),
    ]

    operations = [
        # Replaced by the same columns with the id that breaks their ties.
        migrations.RemoveIndex(model_name="well", name="well_deadline"),
        migrations.RemoveIndex(model_name="well", name="well_updated_at"),
        migrations.AddIndex(
            model_name="well",
            index=models.Index(fields=["campaign", "deadline", "id", "status"], name="well_campaign_deadline"),
        ),
        migrations.AddIndex(
            model_name="well",
            index=models.Index(fields=["deadline", "id"], name="well_deadline_id"),
        ),
        migrations.AddIndex(
            model_name="well",
            index=models.Index(fields=["updated_at", "id"], name="well_updated_id"),
        ),
        migrations.AddIndex(
            model_name="well",
            index=models.Index(fields=["township", "code"], name="well_township_code"),
        ),
        migrations.AddIndex(
            model_name="well",
            index=models.Index(fields=["responsible_unit", "code"], name="well_unit_code"),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="well", index=index) for index in trigram_indexes()],
            database_operations=[migrations.RunPython(create_trigram_indexes, drop_trigram_indexes)],
        ),
    ]
