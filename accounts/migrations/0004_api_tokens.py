"""API tokens move from Django REST framework's authtoken to
django-rest-knox (docs/security.md).

The old table held every token in plain text, so it is dropped, not left
behind in the database and its backups; its tokens stopped working when
the app left INSTALLED_APPS, and a script asks for a new one at
``POST /api/v1/auth/token/``. The app's migration records and content types
(with their permissions) go with it, so that nothing names a table that is
not there. Nothing of this can be undone: the tokens are gone."""

from django.db import migrations

DRF_TOKEN_APP = "authtoken"


def forget_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        schema_editor.execute("DROP TABLE authtoken_token")
    with connection.cursor() as cursor:
        table = connection.ops.quote_name("django_migrations")
        cursor.execute(f"DELETE FROM {table} WHERE app = %s", [DRF_TOKEN_APP])
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(connection.alias).filter(app_label=DRF_TOKEN_APP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_field_history"),
        ("knox", "0009_extend_authtoken_field"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        # The admin's view of knox's tokens (accounts.admin.ApiTokenAdmin).
        migrations.CreateModel(
            name="ApiToken",
            fields=[],
            options={
                "verbose_name": "API token",
                "verbose_name_plural": "API tokens",
                "proxy": True,
                "indexes": [],
                "constraints": [],
            },
            bases=("knox.authtoken",),
        ),
        migrations.RunPython(forget_drf_tokens, migrations.RunPython.noop, elidable=True),
    ]
