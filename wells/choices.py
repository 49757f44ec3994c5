"""Every code of the well ledger, written once. DESIGN §3 and §5 make the
codes and their Chinese labels a contract; the labels are English source
strings translated to zh-hans in ``locale/``."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import BUREAU_ROLES, Role


class Status(models.TextChoices):
    INVENTORIED = "inventoried", _("Inventoried")
    NOTIFIED = "notified", _("Closure notice served")
    LICENSE_REVOKED = "license_revoked", _("Abstraction licence revoked")
    DISCONNECTED = "disconnected", _("Power cut and pump removed")
    SEALED = "sealed", _("Sealed")
    ACCEPTED = "accepted", _("Accepted and struck off")
    RETAINED = "retained", _("Retained")
    REACTIVATED = "reactivated", _("Found in use again")


# A well in one of these states does not count as overdue: it is done, or it
# is not meant to be closed.
SETTLED_STATUSES = frozenset({Status.ACCEPTED, Status.RETAINED})


class Category(models.TextChoices):
    UNLICENSED = "unlicensed", _("Unapproved")
    LICENSED = "licensed", _("Licensed but non-compliant")
    RETAINED = "retained", _("Retained")


class Zone(models.TextChoices):
    PROHIBITED = "prohibited", _("Prohibited extraction zone")
    RESTRICTED = "restricted", _("Restricted extraction zone")


class Use(models.TextChoices):
    DOMESTIC = "domestic", _("Domestic")
    GREENING = "greening", _("Greening")
    LIVESTOCK = "livestock", _("Livestock")
    IRRIGATION = "irrigation", _("Irrigation")
    INDUSTRIAL = "industrial", _("Industrial")
    EMERGENCY = "emergency", _("Emergency urban supply")


class OwnerKind(models.TextChoices):
    PERSON = "person", _("Person")
    ENTERPRISE = "enterprise", _("Enterprise")
    INSTITUTION = "institution", _("Institution")
    COLLECTIVE = "collective", _("Village collective")


class AttachmentKind(models.TextChoices):
    NOTICE = "notice", _("Closure notice")
    REVOCATION = "revocation", _("Licence revocation")
    PHOTO = "photo", _("Photo")
    ACCEPTANCE = "acceptance", _("Acceptance record")
    OTHER = "other", _("Other")


class InspectionResult(models.TextChoices):
    INTACT = "intact", _("Intact")
    IN_USE = "in_use", _("In use again")
    DAMAGED = "damaged", _("Damaged")


class Action(models.TextChoices):
    NOTIFY = "notify", _("Serve closure notice")
    REVOKE_LICENSE = "revoke_license", _("Revoke licence")
    DISCONNECT = "disconnect", _("Cut power and remove pump")
    SEAL = "seal", _("Seal the well")
    ACCEPT = "accept", _("Accept and strike off")
    RETAIN = "retain", _("Retain")
    RELEASE = "release", _("Release from retention")
    REACTIVATE = "reactivate", _("Record reuse")
    ESCALATE = "escalate", _("Enforce closure")
    REVERT = "revert", _("Revert last action")


# The allowed moves, action -> (from states, to state). ``None`` as the
# target keeps the state (escalate) or is decided by the history (revert).
# Disconnect from ``notified`` is allowed here for unlicensed wells only; the
# guard in ``wells.workflow`` refuses it when the well holds a licence.
TRANSITIONS = {
    Action.NOTIFY: ({Status.INVENTORIED, Status.REACTIVATED}, Status.NOTIFIED),
    Action.REVOKE_LICENSE: ({Status.NOTIFIED}, Status.LICENSE_REVOKED),
    Action.DISCONNECT: ({Status.LICENSE_REVOKED, Status.NOTIFIED}, Status.DISCONNECTED),
    Action.SEAL: ({Status.DISCONNECTED}, Status.SEALED),
    Action.ACCEPT: ({Status.SEALED}, Status.ACCEPTED),
    Action.RETAIN: ({Status.INVENTORIED}, Status.RETAINED),
    Action.RELEASE: ({Status.RETAINED}, Status.INVENTORIED),
    Action.REACTIVATE: ({Status.ACCEPTED}, Status.REACTIVATED),
    Action.ESCALATE: ({Status.NOTIFIED, Status.LICENSE_REVOKED}, None),
    Action.REVERT: (set(Status), None),
}

# Who may take each action (DESIGN §4). Scope is checked separately: an
# officer may act only on wells of their own unit.
ACTION_ROLES = {
    Action.NOTIFY: BUREAU_ROLES | {Role.TOWNSHIP_OFFICER},
    Action.REVOKE_LICENSE: BUREAU_ROLES,
    # A member unit (grid company, investment company) takes these only
    # where it holds the open task of that step: the tasks app checks it.
    Action.DISCONNECT: BUREAU_ROLES | {Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER},
    Action.SEAL: BUREAU_ROLES | {Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER},
    Action.ACCEPT: BUREAU_ROLES,
    Action.RETAIN: BUREAU_ROLES,
    Action.RELEASE: BUREAU_ROLES,
    Action.REACTIVATE: BUREAU_ROLES | {Role.TOWNSHIP_OFFICER},
    Action.ESCALATE: BUREAU_ROLES,
    Action.REVERT: frozenset({Role.BUREAU_ADMIN}),
}
