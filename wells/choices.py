"""Every code of the well ledger, written once. DESIGN §3 and §5 make the
codes and their Chinese labels a contract; the labels are English source
strings translated to zh-hans in ``locale/``."""

import enum
from dataclasses import dataclass

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


class ChangeKind(models.TextChoices):
    """What a record of a well's history was (DESIGN §3, contract codes):
    each door of :mod:`wells.changes` writes one kind."""

    ACTION = "action", _("Lifecycle action")
    FACTS = "facts", _("Facts changed")
    INSPECTION = "inspection", _("Inspection")
    SUPPLY = "supply", _("Replacement supply")
    ARCHIVE = "archive", _("Archived")
    RESTORE = "restore", _("Restored")
    IMPORT = "import", _("Import")


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


class FieldKind(enum.StrEnum):
    """What an action field holds. The page forms, the API's serializer and
    the workflow's guards each read a kind in their own terms."""

    TEXT = "text"  # one line, at most ACTION_TEXT_MAX_LENGTH characters
    REASON = "reason"  # a few lines, at most ACTION_TEXT_MAX_LENGTH characters
    DATE = "date"  # the date of something done: not after today
    PLAN_DATE = "plan_date"  # a date set for later: may be in the future
    ATTACHMENTS = "attachments"  # ids of attachments of the well
    INSPECTION = "inspection"  # the id of one inspection of the well


ACTION_TEXT_MAX_LENGTH = 500
# The note every action takes besides its own fields.
ACTION_NOTE_MAX_LENGTH = 2000


@dataclass(frozen=True)
class ActionField:
    """One field an action takes (DESIGN §3 "Action fields"): ``name`` is the
    one the API, the forms and the workflow use, ``label`` what a person
    reads beside it. ``required``: the action needs it, so the forms ask for
    it and the workflow's guard refuses the action without it."""

    name: str
    kind: FieldKind
    label: str
    required: bool = True
    help_text: str = ""

    def __str__(self):
        # Read as its name where field names are listed and posted
        # (tests/test_hostile_input.py posts each action's fields by them).
        return self.name


# A field several actions take is declared once: the API takes it as one field.
REASON = ActionField("reason", FieldKind.REASON, _("Reason"))

# The fields of each action (DESIGN §3 "Action fields", the contract), from
# which the page and admin forms and the API's transition serializer are
# built. Every action also takes an optional note, which those builders add.
ACTION_FIELDS = {
    Action.NOTIFY: (
        # Given by the door from the campaign's sequence when left empty.
        ActionField(
            "notice_no",
            FieldKind.TEXT,
            _("Notice number"),
            required=False,
            help_text=_("Leave it empty for the campaign’s next number; fill it in for a notice already numbered."),
        ),
        ActionField("served_on", FieldKind.DATE, _("Date served")),
        ActionField("comply_by", FieldKind.PLAN_DATE, _("Comply by")),
    ),
    Action.REVOKE_LICENSE: (
        ActionField("revocation_no", FieldKind.TEXT, _("Revocation document number")),
        ActionField("revoked_on", FieldKind.DATE, _("Revoked on")),
    ),
    Action.DISCONNECT: (ActionField("disconnected_on", FieldKind.DATE, _("Power cut on")),),
    Action.SEAL: (
        ActionField("sealed_on", FieldKind.DATE, _("Sealed on")),
        ActionField(
            "method",
            FieldKind.TEXT,
            _("Sealing method"),
            help_text=_("For example: backfilled with clay and gravel, concrete cap."),
        ),
        # At least one of them a photo: the guard counts them.
        ActionField("attachments", FieldKind.ATTACHMENTS, _("Photos already uploaded")),
    ),
    Action.ACCEPT: (
        ActionField("accepted_on", FieldKind.DATE, _("Accepted on")),
        ActionField("inspectors", FieldKind.TEXT, _("Inspectors")),
    ),
    Action.RETAIN: (REASON, ActionField("review_on", FieldKind.PLAN_DATE, _("Review on"))),
    Action.RELEASE: (REASON,),
    Action.REACTIVATE: (
        REASON,
        # The well goes round the closure work again, by a new deadline.
        ActionField(
            "deadline",
            FieldKind.PLAN_DATE,
            _("New deadline"),
            help_text=_("The deadline of the well's next round of closure work."),
        ),
        ActionField("inspection", FieldKind.INSPECTION, _("Inspection that found it in use"), required=False),
    ),
    Action.ESCALATE: (REASON,),
    Action.REVERT: (REASON,),
}


# How each code is written in a workbook (the import template, the ledger
# export, the reports): the words of the plan's 附件2, a file format in
# Chinese whatever language the site speaks, beside the codes they stand for.
WORKBOOK_LABELS = {
    "owner_kind": {
        OwnerKind.PERSON: "个人",
        OwnerKind.ENTERPRISE: "企业",
        OwnerKind.INSTITUTION: "事业单位/机关",
        OwnerKind.COLLECTIVE: "村集体",
    },
    "zone": {Zone.PROHIBITED: "禁采区", Zone.RESTRICTED: "限采区"},
    "uses": {
        Use.DOMESTIC: "生活",
        Use.GREENING: "绿化",
        Use.LIVESTOCK: "养殖",
        Use.IRRIGATION: "农灌",
        Use.INDUSTRIAL: "工业",
        Use.EMERGENCY: "城市应急水源",
    },
    "category": {Category.UNLICENSED: "未经审批", Category.LICENSED: "有证不合规", Category.RETAINED: "保留"},
    "status": {
        Status.INVENTORIED: "已排查登记",
        Status.NOTIFIED: "已下达关停通知",
        Status.LICENSE_REVOKED: "已注销取水许可",
        Status.DISCONNECTED: "已断电拆除",
        Status.SEALED: "已封填",
        Status.ACCEPTED: "已验收销号",
        Status.RETAINED: "保留",
        Status.REACTIVATED: "复启待处置",
    },
}
