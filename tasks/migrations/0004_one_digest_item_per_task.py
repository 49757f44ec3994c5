from django.conf import settings
from django.db import migrations, models


def keep_one_item_per_task(apps, schema_editor):
    """Before the constraint: of a person's several items about one task on
    one day (an overdue notice and its escalation), keep the first."""
    Notification = apps.get_model("tasks", "Notification")
    seen, extra = set(), []
    rows = Notification.objects.order_by("pk").values_list("pk", "recipient_id", "task_id", "sent_on")
    for pk, recipient, task, day in rows.iterator():
        if (recipient, task, day) in seen:
            extra.append(pk)
        else:
            seen.add((recipient, task, day))
    Notification.objects.filter(pk__in=extra).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tasks", "0003_values_checked_at_the_door"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="notification", name="notification_once_a_day"),
        migrations.RunPython(keep_one_item_per_task, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="notification",
            constraint=models.UniqueConstraint(
                fields=("recipient", "task", "sent_on"), name="notification_once_a_day_per_task"
            ),
        ),
    ]
