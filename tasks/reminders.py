"""The daily digest: each person hears, once a day, of the steps they can
take now that fall due soon or are overdue, and the bureau of other units'
steps overdue for too long. Run by ``manage.py send_reminders`` from cron.

Only what can be done is announced (:meth:`TaskQuerySet.ready`): a power cut
that waits for the replacement supply is not the grid company's to hear
about. Each task appears at most once in a person's digest: a bureau person
told of their own unit's overdue step is not told of it again as an
escalation. The tasks are chosen by the database — one query for the
units' reminders, one for the escalations — and only the items found are
read, so the job's cost follows what there is to say, not the size of the
ledger (a million wells)."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import BUREAU_ROLES
from tasks.choices import NotificationKind, Step
from tasks.models import CampaignSettings, Notification, Task
from tasks.sources import DIGEST_SOURCES
from wells.models import Campaign


def _per_campaign(today, days_of, rhythm):
    """A condition on tasks: due on or before ``today + days_of(settings)``
    by each campaign's own settings (``rhythm``: {campaign id: settings})."""
    condition = Q(pk__in=[])
    for campaign_id, settings_ in rhythm.items():
        days = days_of(settings_)
        condition |= Q(well__campaign_id=campaign_id, due_on__lte=today + datetime.timedelta(days=days))
    return condition


_FIELDS = ("pk", "unit_id", "unit__name", "due_on", "well__code", "step")


def _unit_message(code, step, due_on, today):
    days = (due_on - today).days
    if days < 0:
        return NotificationKind.OVERDUE, _("%(well)s: “%(step)s” was due on %(due)s, %(days)s days ago.") % {
            "well": code,
            "step": Step(step).label,
            "due": due_on,
            "days": -days,
        }
    return NotificationKind.DUE_SOON, _("%(well)s: “%(step)s” is due on %(due)s, in %(days)s days.") % {
        "well": code,
        "step": Step(step).label,
        "due": due_on,
        "days": days,
    }


def digest_items(today):
    """Today's items, ``[(recipient id, task id, kind, message)]``, at most
    one per person and task."""
    User = get_user_model()
    # Each campaign's rhythm; one without settings keeps the defaults.
    kept = {s.campaign_id: s for s in CampaignSettings.objects.all()}
    rhythm = {pk: kept.get(pk, CampaignSettings()) for pk in Campaign.objects.values_list("pk", flat=True)}
    ready = Task.objects.ready().filter(due_on__isnull=False).order_by()
    reminded = ready.filter(_per_campaign(today, lambda s: s.remind_days_before, rhythm))
    # Overdue by more than the campaign's escalate_after_days.
    escalated = ready.filter(_per_campaign(today, lambda s: -s.escalate_after_days - 1, rhythm))
    people = defaultdict(list)
    for pk, unit_id in User.objects.filter(is_active=True, unit__isnull=False).values_list("pk", "unit_id"):
        people[unit_id].append(pk)
    bureau = list(
        User.objects.filter(is_active=True, groups__name__in=BUREAU_ROLES).distinct().values_list("pk", "unit_id")
    )

    items = {}
    for task_id, unit_id, _unit, due_on, code, step in reminded.values_list(*_FIELDS).iterator():
        kind, message = _unit_message(code, step, due_on, today)
        for person in people.get(unit_id, ()):
            items[person, task_id] = (kind, message)
    for task_id, unit_id, unit_name, due_on, code, step in escalated.values_list(*_FIELDS).iterator():
        message = _("%(unit)s has not finished “%(step)s” of %(well)s, due on %(due)s (%(days)s days late).") % {
            "unit": unit_name,
            "step": Step(step).label,
            "well": code,
            "due": due_on,
            "days": (today - due_on).days,
        }
        for person, person_unit in bureau:
            # The bureau's own late step is already in its people's digest.
            if person_unit != unit_id:
                items.setdefault((person, task_id), (NotificationKind.ESCALATED, message))
    return [(person, task, kind, message) for (person, task), (kind, message) in items.items()]


def send_reminders(today=None):
    """Write today's digest items and e-mail each recipient one digest.
    Returns the number of new items. A second run on the same day finds them
    written and sends nothing."""
    today = today or timezone.localdate()
    wanted = [(person, task, "", kind, message) for person, task, kind, message in digest_items(today)]
    for source in DIGEST_SOURCES:
        wanted += [(person, None, subject, kind, message) for person, subject, kind, message in source(today)]
    with transaction.atomic():
        already = {
            (person, task or subject)
            for person, task, subject in Notification.objects.filter(sent_on=today).values_list(
                "recipient_id", "task_id", "subject"
            )
        }
        fresh = [
            Notification(recipient_id=person, task_id=task, subject=subject, kind=kind, message=message, sent_on=today)
            for person, task, subject, kind, message in wanted
            if (person, task or subject) not in already
        ]
        # ignore_conflicts: a run started at the same moment wrote the row first.
        Notification.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)

    lines = defaultdict(list)
    for notification in fresh:
        lines[notification.recipient_id].append(notification.message)
    addresses = dict(get_user_model().objects.filter(pk__in=lines).exclude(email="").values_list("pk", "email"))
    for person, address in addresses.items():
        send_mail(
            _("Well closure ledger: %(count)s reminders for %(date)s") % {"count": len(lines[person]), "date": today},
            "\n".join(lines[person]),
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
    return len(fresh)
