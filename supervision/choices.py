"""Every code of supervision after closure (DESIGN §8), written once: the
tickets' states, actions and sources with the allowed moves as data, who
may take each action, the patrols' duties and the findings of a patrol."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import BUREAU_ROLES, Role
from wells.choices import Status


class TicketState(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ASSIGNED = "assigned", _("Assigned for rectification")
    RECTIFIED = "rectified", _("Rectified, awaiting review")
    CLOSED = "closed", _("Closed and struck off")


class TicketSource(models.TextChoices):
    """Where a problem came from (DESIGN §8, contract codes)."""

    PATROL = "patrol", _("Patrol")
    INSPECTION = "inspection", _("Inspection")
    PUBLIC = "public", _("Public report")
    METER = "meter", _("Meter alert")
    STAFF = "staff", _("Staff")


class TicketAction(models.TextChoices):
    # The ticket's first event; not an action anyone takes on a ticket.
    OPEN = "open", _("Opened")
    ASSIGN = "assign", _("Assign to a unit")
    RECTIFY = "rectify", _("Report the rectification")
    REVIEW_PASS = "review_pass", _("Pass the review and close")
    REVIEW_FAIL = "review_fail", _("Refuse the rectification")
    REGISTER_WELL = "register_well", _("Confirm the illegal well and add it to the ledger")
    REPLY = "reply", _("Reply to the public")


# The allowed moves, action -> (from states, to state); ``None`` keeps the
# state. Assigning again (to another unit, or a later deadline) is allowed
# while the ticket waits for its rectification.
TICKET_TRANSITIONS = {
    TicketAction.ASSIGN: ({TicketState.REPORTED, TicketState.ASSIGNED}, TicketState.ASSIGNED),
    TicketAction.RECTIFY: ({TicketState.ASSIGNED}, TicketState.RECTIFIED),
    TicketAction.REVIEW_PASS: ({TicketState.RECTIFIED}, TicketState.CLOSED),
    TicketAction.REVIEW_FAIL: ({TicketState.RECTIFIED}, TicketState.ASSIGNED),
    TicketAction.REGISTER_WELL: ({TicketState.REPORTED, TicketState.ASSIGNED}, None),
    TicketAction.REPLY: (set(TicketState), None),
}

# Who may take each action. Scope is checked apart: a unit rectifies only
# the tickets assigned to it, and nobody reviews their own rectification.
TICKET_ACTION_ROLES = {
    TicketAction.ASSIGN: BUREAU_ROLES,
    TicketAction.RECTIFY: BUREAU_ROLES | {Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER},
    TicketAction.REVIEW_PASS: BUREAU_ROLES,
    TicketAction.REVIEW_FAIL: BUREAU_ROLES,
    TicketAction.REGISTER_WELL: BUREAU_ROLES,
    TicketAction.REPLY: BUREAU_ROLES,
}

# Who opens a ticket by hand, and from which sources: a public report comes
# only through the public page, a meter alert only from the meter watch.
TICKET_OPENING_ROLES = BUREAU_ROLES | {Role.TOWNSHIP_OFFICER}
HAND_SOURCES = (TicketSource.STAFF, TicketSource.INSPECTION, TicketSource.PATROL)


class Frequency(models.TextChoices):
    """How often a unit patrols (seeds 001 and 004: 镇级每月不少于1次,
    村级每半月不少于1次)."""

    MONTHLY = "monthly", _("Monthly")
    HALF_MONTHLY = "half_monthly", _("Every half month")


class PatrolState(models.TextChoices):
    UNDER_WAY = "under_way", _("Under way")
    FINISHED = "finished", _("Finished")


# The wells a patrol looks at: closed ones, and those found in use again.
PATROLLED_STATUSES = frozenset({Status.SEALED, Status.ACCEPTED, Status.REACTIVATED})
# A well within this many metres of the track was passed.
PASSING_DISTANCE_M = 50

# What the public sees of a well on its QR page: the closure in three words.
PUBLIC_WELL_STATES = {
    Status.SEALED: _("Closed"),
    Status.ACCEPTED: _("Closed"),
    Status.RETAINED: _("Retained as an emergency source"),
}
PUBLIC_WELL_STATE_DEFAULT = _("Being closed")
