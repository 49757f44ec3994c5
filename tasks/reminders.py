"""Daily reminders: each unit hears about its tasks due soon and overdue;
the bureau hears about tasks overdue for too long. Run by
``manage.py send_reminders`` from cron."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import BUREAU_ROLES
from tasks.choices import NotificationKind
from tasks.models import CampaignSettings, Notification, Task


def send_reminders(today=None):
    """Write today's notifications and e-mail each recipient one digest.
    Returns the number of new notifications. A second run on the same day
    finds them written and sends nothing."""
    today = today or timezone.localdate()
    User = get_user_model()
    rhythm = {s.campaign_id: s for s in CampaignSettings.objects.all()}
    default = CampaignSettings()

    unit_users = defaultdict(list)
    for user in User.objects.filter(is_active=True, unit__isnull=False).only("pk", "unit_id", "email", "username"):
        unit_users[user.unit_id].append(user)
    bureau_users = list(User.objects.filter(is_active=True, groups__name__in=BUREAU_ROLES).distinct())

    wanted = []  # (recipient, task, kind, message)
    horizon = today + datetime.timedelta(days=max([s.remind_days_before for s in rhythm.values()] or [7]))
    tasks = Task.objects.open().filter(due_on__lte=horizon).select_related("well", "unit")
    for task in tasks:
        settings_ = rhythm.get(task.well.campaign_id, default)
        days_left = (task.due_on - today).days
        if days_left < 0:
            kind = NotificationKind.OVERDUE
            message = _("%(well)s: “%(step)s” was due on %(due)s, %(days)s days ago.") % {
                "well": task.well.code,
                "step": task.get_step_display(),
                "due": task.due_on,
                "days": -days_left,
            }
        elif days_left <= settings_.remind_days_before:
            kind = NotificationKind.DUE_SOON
            message = _("%(well)s: “%(step)s” is due on %(due)s, in %(days)s days.") % {
                "well": task.well.code,
                "step": task.get_step_display(),
                "due": task.due_on,
                "days": days_left,
            }
        else:
            continue
        for user in unit_users.get(task.unit_id, []):
            wanted.append((user, task, kind, message))
        if -days_left > settings_.escalate_after_days:
            escalation = _("%(unit)s has not finished “%(step)s” of %(well)s, due on %(due)s (%(days)s days late).") % {
                "unit": task.unit.name,
                "step": task.get_step_display(),
                "well": task.well.code,
                "due": task.due_on,
                "days": -days_left,
            }
            for user in bureau_users:
                wanted.append((user, task, NotificationKind.ESCALATED, escalation))

    with transaction.atomic():
        already = set(Notification.objects.filter(sent_on=today).values_list("recipient_id", "task_id", "kind"))
        fresh = [
            Notification(recipient=user, task=task, kind=kind, message=message, sent_on=today)
            for user, task, kind, message in wanted
            if (user.pk, task.pk, kind) not in already
        ]
        # ignore_conflicts: a run started at the same moment wrote the row first.
        Notification.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)

    digests = defaultdict(list)
    for notification in fresh:
        if notification.recipient.email:
            digests[notification.recipient.email].append(notification.message)
    for address, lines in digests.items():
        send_mail(
            _("Well closure ledger: %(count)s reminders for %(date)s") % {"count": len(lines), "date": today},
            "\n".join(lines),
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
    return len(fresh)
