from django.db import models
from django.utils.translation import gettext_lazy as _

from wells.choices import Action


class Step(models.TextChoices):
    """A step of a well's closure that one unit owns. Every step but
    ``supply`` is a lifecycle action of the same code."""

    NOTIFY = Action.NOTIFY.value, _("Serve the closure notice")
    REVOKE_LICENSE = Action.REVOKE_LICENSE.value, _("Revoke the abstraction licence")
    SUPPLY = "supply", _("Connect the replacement supply")
    DISCONNECT = Action.DISCONNECT.value, _("Cut the power")
    SEAL = Action.SEAL.value, _("Backfill and seal")
    ACCEPT = Action.ACCEPT.value, _("Accept the closure")


# The lifecycle action each step's completion performs, or None.
STEP_ACTIONS = {
    Step.NOTIFY: Action.NOTIFY,
    Step.REVOKE_LICENSE: Action.REVOKE_LICENSE,
    Step.SUPPLY: None,
    Step.DISCONNECT: Action.DISCONNECT,
    Step.SEAL: Action.SEAL,
    Step.ACCEPT: Action.ACCEPT,
}


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class NotificationKind(models.TextChoices):
    DUE_SOON = "due_soon", _("Due soon")
    OVERDUE = "overdue", _("Overdue")
    ESCALATED = "escalated", _("Escalated to the bureau")


class PublicityKind(models.TextChoices):
    POST = "post", _("Information post")
    SLOGAN = "slogan", _("Slogan")
    HANDBOOK = "handbook", _("Handbook")
    MEETING = "meeting", _("Meeting")


# The steps in the order a closure takes them (the work plan's rows).
STEP_ORDER = [Step.NOTIFY, Step.REVOKE_LICENSE, Step.SUPPLY, Step.DISCONNECT, Step.SEAL, Step.ACCEPT]

# What holds each step back: while a task of one of these steps is open on
# the well, the step waits for it. The power cut waits for the replacement
# supply (先通水后关停); the acceptance for every other unit's step.
WAITS_FOR = {
    Step.NOTIFY: (),
    Step.REVOKE_LICENSE: (Step.NOTIFY,),
    Step.SUPPLY: (),
    Step.DISCONNECT: (Step.NOTIFY, Step.REVOKE_LICENSE, Step.SUPPLY),
    Step.SEAL: (Step.NOTIFY, Step.REVOKE_LICENSE, Step.DISCONNECT),
    Step.ACCEPT: (Step.NOTIFY, Step.REVOKE_LICENSE, Step.SUPPLY, Step.DISCONNECT, Step.SEAL),
}
