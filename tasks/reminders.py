"""The daily digest: each person hears, once a day, of the steps they can
take now that fall due soon or are overdue, and the bureau of the units
whose steps are overdue for too long. Run by ``manage.py send_reminders``
from cron.

Only what can be done is announced (:meth:`TaskQuerySet.ready`): a power cut
that waits for the replacement supply is not the grid company's to hear
about. A digest stays something a person can read at any size of ledger: a
unit's people see its :data:`DIGEST_LIMIT` most urgent steps one by one and
the rest counted in one line pointing to their task list; the bureau's
people hear of each late unit once — how many of its steps are past the
escalation threshold and which is the oldest — not of each of its steps
(at a million wells that was 533,000 lines a day for each bureau person).
A bureau person is not told of their own unit's late steps again as an
escalation. Each item is written once per person and day, and the day's
digest once (:class:`tasks.models.Digest`): a second run sends nothing.

The database chooses and counts: a fixed number of queries, each over the
open tasks' indexes, and only the items told are read, so the job's time
and memory follow the number of people and units, not of wells."""

import datetime
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Min, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.choices import BUREAU_ROLES
from tasks.choices import NotificationKind, Step
from tasks.models import CampaignSettings, Digest, Notification, Task
from tasks.sources import DIGEST_SOURCES
from wells.models import Campaign

# How many of a unit's steps each of its people sees listed, most urgent
# first; the rest are counted in one line.
DIGEST_LIMIT = 50


def _per_campaign(today, days_of, rhythm):
    """A condition on tasks: due on or before ``today + days_of(settings)``
    by each campaign's own settings (``rhythm``: {campaign id: settings})."""
    condition = Q(pk__in=[])
    for campaign_id, settings_ in rhythm.items():
        days = days_of(settings_)
        condition |= Q(well__campaign_id=campaign_id, due_on__lte=today + datetime.timedelta(days=days))
    return condition


def _first_of_each_unit(tasks, limit):
    """The first ``limit`` of ``tasks`` of each unit, by due date."""
    order = [F("due_on").asc(), F("pk").asc()]
    ranked = tasks.annotate(rank=Window(RowNumber(), partition_by=[F("unit_id")], order_by=order))
    return ranked.filter(rank__lte=limit)


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
    """Today's items about tasks, ``[(recipient id, task id or None,
    subject, kind, message)]``: at most one per person and task, and per
    person and subject."""
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

    items = []
    listed = _first_of_each_unit(reminded.filter(unit_id__in=list(people)), DIGEST_LIMIT)
    for task_id, unit_id, due_on, code, step in listed.values_list("pk", "unit_id", "due_on", "well__code", "step"):
        kind, message = _unit_message(code, step, due_on, today)
        items += [(person, task_id, "", kind, message) for person in people[unit_id]]
    counted = (
        reminded.filter(unit_id__in=list(people))
        .values("unit_id")
        .annotate(total=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
        .filter(total__gt=DIGEST_LIMIT)
    )
    for row in counted:
        kind = NotificationKind.OVERDUE if row["overdue"] else NotificationKind.DUE_SOON
        message = _(
            "%(more)s more steps of your unit are not listed here (%(overdue)s of them overdue, the others due soon):"
            " see My tasks."
        ) % {"more": row["total"] - DIGEST_LIMIT, "overdue": row["overdue"]}
        items += [(person, None, f"tasks:unit:{row['unit_id']}", kind, message) for person in people[row["unit_id"]]]

    late_units = {
        row["unit_id"]: row for row in escalated.values("unit_id").annotate(count=Count("pk"), oldest=Min("due_on"))
    }
    oldest = _first_of_each_unit(escalated, 1).values_list("unit_id", "pk", "unit__name", "well__code", "step")
    for unit_id, task_id, unit_name, code, step in oldest:
        due_on = late_units[unit_id]["oldest"]
        message = _(
            "%(unit)s has %(count)s steps overdue past the escalation threshold; the longest late: “%(step)s” of"
            " %(well)s, due on %(due)s (%(days)s days late)."
        ) % {
            "unit": unit_name,
            "count": late_units[unit_id]["count"],
            "step": Step(step).label,
            "well": code,
            "due": due_on,
            "days": (today - due_on).days,
        }
        for person, person_unit in bureau:
            # The bureau's own late steps are already in its people's digest.
            if person_unit != unit_id:
                items.append((person, task_id, f"escalation:{unit_id}", NotificationKind.ESCALATED, message))
    return items


def send_reminders(today=None):
    """Write today's digest items and e-mail each recipient one digest.
    Returns the number of new items. A second run on the same day finds the
    day's :class:`Digest` written and sends nothing, without computing the
    digest again (11 s at a million wells)."""
    today = today or timezone.localdate()
    if Digest.objects.filter(sent_on=today).exists():
        return 0
    # In the site's language, whatever the process was last speaking (the
    # messages are stored, and read by people of the site).
    with translation.override(settings.LANGUAGE_CODE):
        wanted = digest_items(today)
        for source in DIGEST_SOURCES:
            wanted += [(person, None, subject, kind, message) for person, subject, kind, message in source(today)]
    try:
        with transaction.atomic():
            already = set(Notification.objects.filter(sent_on=today).values_list("recipient_id", "task_id", "subject"))
            fresh = [
                Notification(
                    recipient_id=person, task_id=task, subject=subject, kind=kind, message=message, sent_on=today
                )
                for person, task, subject, kind, message in wanted
                if (person, task, subject) not in already
            ]
            # A run started at the same moment that wrote the day first
            # makes this one fail here, and send nothing.
            Digest.objects.create(sent_on=today, items=len(fresh))
            Notification.objects.bulk_create(fresh, batch_size=1000, ignore_conflicts=True)
    except IntegrityError:
        return 0

    lines = defaultdict(list)
    for notification in fresh:
        lines[notification.recipient_id].append(notification.message)
    addresses = dict(get_user_model().objects.filter(pk__in=lines).exclude(email="").values_list("pk", "email"))
    for person, address in addresses.items():
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Well closure ledger: %(count)s reminders for %(date)s") % {
                "count": len(lines[person]),
                "date": today,
            }
        send_mail(
            subject,
            "\n".join(lines[person]),
            settings.DEFAULT_FROM_EMAIL,
            [address],
        )
    return len(fresh)
