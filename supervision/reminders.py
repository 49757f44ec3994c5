"""Overdue tickets in the daily reminders (DESIGN §8: they escalate like
tasks). :func:`overdue_tickets` answers, for one day, what each person is to
hear: the people of the unit a ticket is assigned to about each of its
overdue tickets, and the bureau's people about each ticket overdue for more
than its campaign's escalation threshold (``CampaignSettings
.escalate_after_days``, 7 days by default), as ``tasks.reminders`` does for
tasks. Set-based: three queries whatever the number of tickets. The daily
job (``send_reminders``) writes and mails them."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.choices import BUREAU_ROLES
from supervision.models import Ticket
from tasks.choices import NotificationKind
from tasks.models import CampaignSettings

DEFAULT_ESCALATE_AFTER_DAYS = CampaignSettings._meta.get_field("escalate_after_days").default


@dataclass(frozen=True)
class TicketReminder:
    """One thing one person is to hear about one ticket today."""

    ticket_id: int
    tracking: str
    kind: str  # tasks.choices.NotificationKind: overdue, escalated
    days_overdue: int
    message: str


def overdue_tickets(as_of):
    """``{user id: [TicketReminder, …]}`` for ``as_of``: the assigned unit's
    active people for each ticket past its due date, and the bureau's
    active people for each ticket more than its escalation threshold late."""
    tickets = list(
        Ticket.objects.overdue(as_of)
        .annotate(
            escalate_after=Coalesce(
                Subquery(
                    CampaignSettings.objects.filter(campaign_id=OuterRef("well__campaign_id")).values(
                        "escalate_after_days"
                    )[:1]
                ),
                Value(DEFAULT_ESCALATE_AFTER_DAYS),
                output_field=IntegerField(),
            ),
            unit_name=F("unit__name"),
            well_code=F("well__code"),
        )
        .values("pk", "tracking", "unit_id", "unit_name", "well_code", "due_on", "escalate_after")
        .order_by("due_on", "pk")
    )
    if not tickets:
        return {}
    User = get_user_model()
    unit_people = defaultdict(list)
    for user_id, unit_id in User.objects.filter(
        is_active=True, unit_id__in={t["unit_id"] for t in tickets}
    ).values_list("pk", "unit_id"):
        unit_people[unit_id].append(user_id)
    bureau = list(
        User.objects.filter(is_active=True, groups__name__in=BUREAU_ROLES).distinct().values_list("pk", flat=True)
    )
    reminders = defaultdict(list)
    for ticket in tickets:
        days = (as_of - ticket["due_on"]).days
        about = ticket["well_code"] or ticket["tracking"]
        overdue = TicketReminder(
            ticket["pk"],
            ticket["tracking"],
            NotificationKind.OVERDUE,
            days,
            _("Ticket %(ticket)s (%(about)s) was to be rectified by %(due)s, %(days)s days ago.")
            % {"ticket": ticket["tracking"], "about": about, "due": ticket["due_on"].isoformat(), "days": days},
        )
        for user_id in unit_people.get(ticket["unit_id"], []):
            reminders[user_id].append(overdue)
        if days > ticket["escalate_after"]:
            escalated = TicketReminder(
                ticket["pk"],
                ticket["tracking"],
                NotificationKind.ESCALATED,
                days,
                _("%(unit)s has not rectified ticket %(ticket)s (%(about)s), due on %(due)s (%(days)s days late).")
                % {
                    "unit": ticket["unit_name"],
                    "ticket": ticket["tracking"],
                    "about": about,
                    "due": ticket["due_on"].isoformat(),
                    "days": days,
                },
            )
            for user_id in bureau:
                reminders[user_id].append(escalated)
    return dict(reminders)


def digest_items(today):
    """Today's ticket items for the daily digest (registered with
    ``tasks.sources.digest_source``): ``(person, "ticket:<id>", kind,
    message)``, each ticket once per person."""
    items = {}
    for person, reminders in overdue_tickets(today).items():
        for reminder in reminders:
            # The assigned unit's own item first; an escalation adds nothing to it.
            items.setdefault((person, reminder.ticket_id), reminder)
    return [(person, f"ticket:{ticket}", r.kind, r.message) for (person, ticket), r in items.items()]


__all__ = ["TicketReminder", "digest_items", "overdue_tickets"]
