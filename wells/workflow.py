"""The well's lifecycle (DESIGN §3). This module is the only code that
changes a well's status: the admin, the pages, the API and the tasks app all
call :func:`perform`, the lifecycle's door, built on the same four steps as
every other door of :mod:`wells.changes`.

A refusal raises :class:`WorkflowError`, whose ``code`` tells the caller how
to answer (the API maps it to 400/403/404/409) and whose message a person
can read.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from wellclosure.validators import check_date, check_text
from wells.changes import (
    WorkflowError,
    actor_name,
    check_version,
    connect,
    differences,
    lock,
    read_note,
    refuse_archived,
    run_hooks,
    save_and_record,
    snapshot,
)
from wells.choices import ACTION_ROLES, TRANSITIONS, Action, AttachmentKind, ChangeKind, InspectionResult, Status
from wells.models import Attachment, Campaign, Inspection, Well, WellEvent

__all__ = [
    "WorkflowError",
    "available_actions",
    "check_version",
    "effective_events",
    "next_notice_number",
    "perform",
    "read_past_date",
    "standing_events",
]

# The well fields an action may change; recorded on the event as
# {field: [before, after]} so that revert can put them back.
TRACKED_FIELDS = ("status", "enforced", "comply_by", "review_on", "accepted_on", "deadline")

# The attachments that count as photos: images by their content (sniffed on
# upload, wells.uploads), whatever kind the uploader gave.
PHOTO_CONTENT_TYPES = frozenset({"image/jpeg", "image/png"})

# The closure notices' numbers of a campaign without a prefix of its own.
DEFAULT_NOTICE_PREFIX = "关停通知"


def extend(*, check=None, follow=None):
    """Register ``check`` and ``follow`` as the ``check`` and ``on_action``
    hooks of :func:`wells.changes.connect`."""
    connect(**{name: hook for name, hook in (("check", check), ("on_action", follow)) if hook is not None})


def available_actions(well, user):
    """The actions this user may try on this well in its current state
    (the buttons a page shows): none on a well outside the user's scope or
    archived, and none that the well's own fields already rule out. The
    guard may still refuse them (a seal without a photo, a domestic well
    without its replacement supply)."""
    role = getattr(user, "role", None)
    if well.archived_at is not None:
        return []
    actions = []
    for action, (sources, _target) in TRANSITIONS.items():
        if role in ACTION_ROLES[action] and well.status in sources:
            if action == Action.DISCONNECT and well.status == Status.NOTIFIED and well.license_no:
                continue
            if action == Action.REVOKE_LICENSE and not well.license_no:
                continue
            if action == Action.ESCALATE and (well.enforced or not _comply_by_passed(well)):
                continue
            if action == Action.REVERT and _last_undoable_event(well) is None:
                continue
            actions.append(Action(action))
    if actions and not Well.objects.visible_to(user).filter(pk=well.pk).exists():
        return []
    return actions


def perform(well, action, *, actor, data=None, version=None):
    """Take ``action`` on ``well`` as ``actor`` with the action's fields in
    ``data``; return the updated well.

    Inside one transaction, in this order:

    1. lock the row through the actor's scope (``not_found`` outside it);
    2. the role (``forbidden``), the archive (an archived well takes no
       action), the ``version`` the caller read (``stale``; pass ``None``
       only where the caller holds no earlier read: a bulk action that reads
       and acts at once), the state;
    3. the ``check`` hooks (the tasks app: a member unit acts only on a step
       its unit holds an open task for; acceptance waits for every unit's
       task) — they refuse, they change nothing;
    4. the action's guard, which refuses or sets the fields the action sets;
    5. save with the version bumped, one :class:`WellEvent` and its history
       record (:class:`WellChange` of kind ``action``);
    6. the ``on_action`` hooks (the tasks app closes, reopens and opens the
       well's tasks)."""
    data = dict(data or {})
    try:
        action = Action(action)
    except ValueError:
        raise WorkflowError(_("Unknown action “%(action)s”.") % {"action": action}, field="action") from None
    note = read_note(data.get("note"))

    with transaction.atomic():
        locked = lock(well, actor)
        if actor.role not in ACTION_ROLES[action]:
            raise WorkflowError(
                _("Your role may not “%(action)s”.") % {"action": action.label}, code=WorkflowError.FORBIDDEN
            )
        refuse_archived(locked)
        check_version(locked, version)
        sources, target = TRANSITIONS[action]
        if locked.status not in sources:
            raise WorkflowError(
                _("“%(action)s” is not possible while the well is “%(status)s”.")
                % {"action": action.label, "status": locked.get_status_display()}
            )

        run_hooks("check", locked, action, actor, data)

        before = snapshot(locked)
        from_status = locked.status
        event_data, linked = _GUARDS[action](locked, data, actor)
        if target is not None:
            locked.status = target
        changes = differences(before, locked)
        event = WellEvent.objects.create(
            well=locked,
            action=action,
            from_status=from_status,
            to_status=locked.status,
            actor=actor,
            actor_name=actor_name(actor),
            note=note,
            data=event_data,
            changes={field: changes[field] for field in TRACKED_FIELDS if field in changes},
        )
        save_and_record(
            locked,
            changes,
            actor=actor,
            kind=ChangeKind.ACTION,
            note=event.note,
            event=event,
            extra={"action": [None, action.value]},
        )
        if linked:
            Attachment.objects.filter(pk__in=[a.pk for a in linked]).update(event=event)
        run_hooks("on_action", locked, event)
    return locked


# Guards ------------------------------------------------------------------
# Each takes the locked well, the caller's data and the actor; it refuses
# with WorkflowError, changes the well's tracked fields where the action
# sets them, and returns (the event's data, attachments to link).


def _guard_notify(well, data, actor):
    served_on = read_past_date(data, "served_on", _("date served"))
    comply_by = _date(data, "comply_by", _("comply-by date"))
    if comply_by < served_on:
        raise WorkflowError(_("The comply-by date cannot be before the date served."), field="comply_by")
    if str(data.get("notice_no") or "").strip():
        # A number already written on a notice served on paper.
        notice_no = _text(data, "notice_no", _("notice number"))
    else:
        notice_no = next_notice_number(well.campaign_id, served_on)
    well.comply_by = comply_by
    well.enforced = False
    return {"notice_no": notice_no, "served_on": served_on.isoformat(), "comply_by": comply_by.isoformat()}, []


def next_notice_number(campaign_id, served_on):
    """The campaign's next closure-notice number (昌水关〔2023〕第12号),
    counted up in the caller's transaction. The UPDATE locks the campaign's
    row until the transaction ends, so two notifies at once (on PostgreSQL;
    SQLite writes one transaction at a time) never draw the same number, and
    a refused notify gives its number back with the rollback."""
    Campaign.objects.filter(pk=campaign_id).update(last_notice_number=F("last_notice_number") + 1)
    prefix, number = Campaign.objects.values_list("notice_prefix", "last_notice_number").get(pk=campaign_id)
    return f"{prefix or DEFAULT_NOTICE_PREFIX}〔{served_on.year}〕第{number}号"


def _guard_revoke_license(well, data, actor):
    if not well.license_no:
        raise WorkflowError(_("This well has no abstraction licence to revoke."))
    revocation_no = _text(data, "revocation_no", _("revocation document number"))
    revoked_on = read_past_date(data, "revoked_on", _("revocation date"))
    return {"revocation_no": revocation_no, "revoked_on": revoked_on.isoformat(), "license_no": well.license_no}, []


def _guard_disconnect(well, data, actor):
    if well.status == Status.NOTIFIED and well.license_no:
        raise WorkflowError(_("Revoke the abstraction licence before cutting the power of a licensed well."))
    disconnected_on = read_past_date(data, "disconnected_on", _("disconnection date"))
    if well.has_domestic_use:
        if well.supply_connected_on is None:
            raise WorkflowError(
                _("This well supplies domestic water: record the replacement supply as connected first."),
                field="supply_connected_on",
            )
        if well.supply_connected_on > disconnected_on:
            raise WorkflowError(
                _("The replacement supply was connected on %(date)s, after the power cut date.")
                % {"date": well.supply_connected_on.isoformat()},
                field="disconnected_on",
            )
    return {"disconnected_on": disconnected_on.isoformat()}, []


def _guard_seal(well, data, actor):
    sealed_on = read_past_date(data, "sealed_on", _("sealing date"))
    method = _text(data, "method", _("sealing method"))
    ids = data.get("attachments") or []
    if not isinstance(ids, list | tuple):
        ids = [ids]
    try:
        ids = [int(pk) for pk in ids]
    except (TypeError, ValueError):
        raise WorkflowError(_("Attachments must be given by their ids."), field="attachments") from None
    attachments = list(Attachment.objects.filter(well=well, pk__in=ids))
    if len(attachments) != len(set(ids)):
        raise WorkflowError(_("Some attachments do not belong to this well."), field="attachments")
    if not any(a.kind == AttachmentKind.PHOTO and a.content_type in PHOTO_CONTENT_TYPES for a in attachments):
        raise WorkflowError(
            _("Attach at least one photo of the sealed well (a JPEG or PNG image)."), field="attachments"
        )
    return {"sealed_on": sealed_on.isoformat(), "method": method, "attachments": sorted(ids)}, attachments


def _guard_accept(well, data, actor):
    accepted_on = read_past_date(data, "accepted_on", _("acceptance date"))
    inspectors = _text(data, "inspectors", _("inspectors"))
    well.accepted_on = accepted_on
    return {"accepted_on": accepted_on.isoformat(), "inspectors": inspectors}, []


def _guard_retain(well, data, actor):
    reason = _text(data, "reason", _("reason"))
    review_on = _date(data, "review_on", _("review date"))
    well.review_on = review_on
    return {"reason": reason, "review_on": review_on.isoformat()}, []


def _guard_release(well, data, actor):
    well.review_on = None
    return {"reason": _text(data, "reason", _("reason"))}, []


def _guard_reactivate(well, data, actor):
    reason = _text(data, "reason", _("reason"))
    event_data = {"reason": reason}
    inspection_id = data.get("inspection")
    if inspection_id not in (None, ""):
        try:
            inspection = Inspection.objects.get(pk=int(inspection_id), well=well)
        except (Inspection.DoesNotExist, TypeError, ValueError):
            raise WorkflowError(_("That inspection is not one of this well's."), field="inspection") from None
        if inspection.result != InspectionResult.IN_USE:
            raise WorkflowError(_("That inspection did not find the well in use."), field="inspection")
        event_data["inspection"] = inspection.pk
    deadline = _date(data, "deadline", _("new deadline"))
    if deadline <= timezone.localdate():
        raise WorkflowError(
            _("The new deadline must be after today: it is when the well must be closed again."), field="deadline"
        )
    event_data["deadline"] = deadline.isoformat()
    well.deadline = deadline
    well.enforced = False
    return event_data, []


def _guard_escalate(well, data, actor):
    reason = _text(data, "reason", _("reason"))
    if well.enforced:
        raise WorkflowError(_("Closure of this well is already being enforced."))
    if not _comply_by_passed(well):
        raise WorkflowError(_("The owner still has until the comply-by date; enforcement is possible only after it."))
    well.enforced = True
    return {"reason": reason, "comply_by": well.comply_by.isoformat()}, []


def _comply_by_passed(well):
    return well.comply_by is not None and well.comply_by < timezone.localdate()


def _guard_revert(well, data, actor):
    reason = _text(data, "reason", _("reason"))
    undone = _last_undoable_event(well)
    if undone is None:
        raise WorkflowError(_("There is no action to revert."))
    for field, (old, _new) in undone.changes.items():
        if field in TRACKED_FIELDS:
            setattr(well, field, _from_json(field, old))
    # The state before the action is on the event itself, also for events
    # recorded without their changes (loaded from elsewhere).
    well.status = undone.from_status
    return {"reason": reason, "reverted_event": undone.pk, "reverted_action": undone.action}, []


def effective_events(well):
    """The well's actions that still stand, oldest first: every event but the
    reverts and the actions they undid. Each revert undoes the newest action
    still standing, so reverting twice steps back twice. Ordered by id, not
    by time: the well's row lock orders its events, a server's clock may not."""
    return standing_events(well.events.order_by("pk"))


def standing_events(events):
    """Of ``events`` (one well's, oldest first), those that still stand: see
    :func:`effective_events`. For callers that read many wells' events at once."""
    standing = []
    for event in events:
        if event.action == Action.REVERT:
            if standing:
                standing.pop()
        else:
            standing.append(event)
    return standing


def _last_undoable_event(well):
    standing = effective_events(well)
    return standing[-1] if standing else None


_GUARDS = {
    Action.NOTIFY: _guard_notify,
    Action.REVOKE_LICENSE: _guard_revoke_license,
    Action.DISCONNECT: _guard_disconnect,
    Action.SEAL: _guard_seal,
    Action.ACCEPT: _guard_accept,
    Action.RETAIN: _guard_retain,
    Action.RELEASE: _guard_release,
    Action.REACTIVATE: _guard_reactivate,
    Action.ESCALATE: _guard_escalate,
    Action.REVERT: _guard_revert,
}


# Field readers -----------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _text(data, name, label):
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if not value:
        raise WorkflowError(_("Fill in the %(field)s.") % {"field": label}, field=name)
    if len(value) > 500:
        raise WorkflowError(_("The %(field)s is too long (500 characters at most).") % {"field": label}, field=name)
    return _checked(check_text, value, name, label)


def _checked(check, value, name, label):
    """``value`` when ``check`` (of wellclosure.validators) passes it; its
    refusal as a WorkflowError on the field ``name`` otherwise."""
    try:
        return check(value, label)
    except ValidationError as error:
        raise WorkflowError(error.messages[0], field=name) from None


def _date(data, name, label):
    """Read a date: ISO ``YYYY-MM-DD`` (or a date), within the ledger's years."""
    return _checked(check_date, _read_date(data, name, label), name, label)


def _read_date(data, name, label):
    value = data.get(name)
    if isinstance(value, datetime.datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    if isinstance(value, datetime.date):
        return value
    value = "" if value is None else str(value).strip()
    if not value:
        raise WorkflowError(_("Fill in the %(field)s.") % {"field": label}, field=name)
    try:
        # fromisoformat alone would also take 20230601 and 2023-W22-4.
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise WorkflowError(
            _("The %(field)s must be a date written YYYY-MM-DD.") % {"field": label}, field=name
        ) from None


def read_past_date(data, name, label):
    """Read the date of something done: ISO ``YYYY-MM-DD``, not after today
    in Shanghai. Refuses naming the field ``name``, described as ``label``."""
    value = _date(data, name, label)
    if value > timezone.localdate():
        raise WorkflowError(_("The %(field)s cannot be in the future.") % {"field": label}, field=name)
    return value


def _from_json(field, value):
    if field in ("comply_by", "review_on", "accepted_on", "deadline") and value is not None:
        return datetime.date.fromisoformat(value)
    return value
