"""The problem ledger's engine (DESIGN §8), after the well's own
(:mod:`wells.workflow`): the states and moves are data in
:mod:`supervision.choices`, :func:`perform` is the one entry point, and
each successful action writes one :class:`TicketEvent` in its transaction.
Every refusal is a :class:`TicketError` (a ``WorkflowError``, so the API's
one handler answers it 400/403/404/409).

    reported → assigned (the bureau: a unit and a deadline)
             → rectified (the unit, with its evidence)
             → closed (reviewed by someone other than the rectifier)
               or back to assigned (refused, with the reason)

A ticket about a suspected illegal well at a new place, once confirmed
(``register_well``), creates the well in the ledger through
:func:`wells.changes.create_well` and links it to the ticket."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import BUREAU_ROLES
from accounts.models import Unit
from supervision.choices import TICKET_ACTION_ROLES, TICKET_TRANSITIONS, TicketAction, TicketSource, TicketState
from supervision.models import Patrol, SupervisionFile, Ticket, TicketEvent
from wellclosure.validators import check_date, check_text
from wells.changes import WorkflowError, actor_name, create_well
from wells.choices import Category, InspectionResult, OwnerKind, Use
from wells.models import Campaign, Township, Well

TEXT_MAX_LENGTH = 2000


class TicketError(WorkflowError):
    """A ticket action was refused; ``code`` as :class:`WorkflowError`'s."""


def available_actions(ticket, user):
    """The actions this user may try on this ticket now (the buttons its
    page shows); the guards may still refuse them."""
    role = getattr(user, "role", None)
    actions = []
    for action, (sources, _target) in TICKET_TRANSITIONS.items():
        if role not in TICKET_ACTION_ROLES[action] or ticket.state not in sources:
            continue
        if action == TicketAction.RECTIFY and role not in BUREAU_ROLES and ticket.unit_id != user.unit_id:
            continue
        if action in (TicketAction.REVIEW_PASS, TicketAction.REVIEW_FAIL) and ticket.rectified_by_id == user.pk:
            continue
        if action == TicketAction.REGISTER_WELL and ticket.well_id is not None:
            continue
        actions.append(TicketAction(action))
    return actions


def perform(ticket, action, *, actor, data=None, version=None, files=()):
    """Take ``action`` on ``ticket`` as ``actor`` with the action's fields in
    ``data`` (``files``: the evidence of a rectification, already checked
    :class:`SupervisionFile` rows of this ticket); return the updated ticket.

    In one transaction: lock the row through the actor's scope
    (``not_found``), the role (``forbidden``), the ``version`` the caller
    read (``stale``; ``None`` only where the caller holds no earlier read),
    the state, the action's guard; then save with the version bumped and
    write one :class:`TicketEvent`."""
    data = dict(data or {})
    try:
        action = TicketAction(action)
        if action not in TICKET_TRANSITIONS:
            raise ValueError(action)
    except ValueError:
        raise TicketError(_("Unknown action “%(action)s”.") % {"action": action}, field="action") from None
    note = _read_text(data, "note", _("note"), required=False)
    with transaction.atomic():
        try:
            locked = Ticket.objects.visible_to(actor).select_for_update().get(pk=ticket.pk)
        except Ticket.DoesNotExist:
            raise TicketError(_("No such ticket."), code=TicketError.NOT_FOUND) from None
        if getattr(actor, "role", None) not in TICKET_ACTION_ROLES[action]:
            raise TicketError(
                _("Your role may not “%(action)s”.") % {"action": action.label}, code=TicketError.FORBIDDEN
            )
        if version is not None and str(version) != str(locked.version):
            raise TicketError(
                _(
                    "This ticket was changed by someone else (version %(current)s, you have %(yours)s). "
                    "Reload it and try again."
                )
                % {"current": locked.version, "yours": version},
                code=TicketError.STALE,
                field="version",
            )
        sources, target = TICKET_TRANSITIONS[action]
        if locked.state not in sources:
            raise TicketError(
                _("“%(action)s” is not possible while the ticket is “%(state)s”.")
                % {"action": action.label, "state": locked.get_state_display()}
            )
        from_state = locked.state
        event_data, linked = _GUARDS[action](locked, data, actor, files)
        if target is not None:
            locked.state = target
        locked.version += 1
        locked.save()
        event = TicketEvent.objects.create(
            ticket=locked,
            action=action,
            from_state=from_state,
            to_state=locked.state,
            actor=actor,
            actor_name=actor_name(actor),
            note=note,
            data=event_data,
        )
        if linked:
            SupervisionFile.objects.filter(pk__in=[f.pk for f in linked]).update(event=event)
    return locked


def open_ticket(*, source, actor=None, description, well=None, lat=None, lng=None, assign=None, **links):
    """Open a ticket (``reported``) with its first event; ``links`` are the
    patrol or inspection it came from, the reporter's phone and hashed
    address. ``assign``, a (unit, due_on) pair, assigns it at once, with its
    own event (the meter watch's alerts, which nobody reads before their
    unit must act). Refuses a description that is empty, too long or holds a
    control character. Call inside the caller's transaction where it has one."""
    description = _read_text({"description": description}, "description", _("description"))
    if well is not None and lat is None:
        lat, lng = well.lat, well.lng
    with transaction.atomic():
        ticket = Ticket(source=source, description=description, well=well, lat=lat, lng=lng, opened_by=actor, **links)
        try:
            ticket.full_clean(exclude=["opened_by", "rectified_by", "well", "patrol", "inspection", "unit"])
        except ValidationError as error:
            raise _first_error(error) from None
        ticket.save()
        TicketEvent.objects.create(
            ticket=ticket,
            action=TicketAction.OPEN,
            from_state=ticket.state,
            to_state=ticket.state,
            actor=actor,
            actor_name=actor_name(actor) if actor else _("The public"),
            note=_("Opened from: %(source)s") % {"source": ticket.get_source_display()},
            data={"source": source},
        )
        if assign is not None:
            unit, due_on = assign
            ticket.unit, ticket.due_on = unit, due_on
            ticket.state = TicketState.ASSIGNED
            ticket.version += 1
            ticket.save(update_fields=["unit", "due_on", "state", "version", "updated_at"])
            TicketEvent.objects.create(
                ticket=ticket,
                action=TicketAction.ASSIGN,
                from_state=TicketState.REPORTED,
                to_state=TicketState.ASSIGNED,
                actor=actor,
                actor_name=actor_name(actor) if actor else ticket.get_source_display(),
                data={"unit": unit.pk, "unit_name": unit.name, "due_on": due_on.isoformat()},
            )
    return ticket


def settle(ticket, *, inspection, note):
    """Close ``ticket`` because ``inspection`` (a 回头看 or a patrol's
    finding, recorded through its door by someone who may) answered it —
    the meter watch's alerts, which a visit to the well settles whatever it
    found (a finding of reuse opens its own ticket). One event of action
    ``review_pass`` with the inspection in its data, so the closed tickets
    count as every other. A closed ticket is left as it is."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.state == TicketState.CLOSED:
            return locked
        from_state = locked.state
        locked.state = TicketState.CLOSED
        locked.version += 1
        if locked.inspection_id is None:
            locked.inspection = inspection
        locked.save(update_fields=["state", "version", "inspection", "updated_at"])
        TicketEvent.objects.create(
            ticket=locked,
            action=TicketAction.REVIEW_PASS,
            from_state=from_state,
            to_state=TicketState.CLOSED,
            actor=inspection.inspector,
            actor_name=inspection.inspector_name,
            note=note[:2000],
            data={"inspection": inspection.pk, "result": inspection.result},
        )
    return locked


def ticket_from_inspection(inspection, origin):
    """The ``on_inspection`` hook of wells.changes: an inspection that finds
    a well in use or damaged opens a ticket, so that the finding is followed
    until it is struck off — of source ``patrol``, linked to it, when the
    inspection is a patrol's finding (``origin``), else of source
    ``inspection`` (a 回头看)."""
    if inspection.result not in (InspectionResult.IN_USE, InspectionResult.DAMAGED):
        return None
    patrol = origin if isinstance(origin, Patrol) else None
    found = (
        _("Patrol of %(date)s: %(well)s found “%(result)s”.")
        if patrol
        else _("Inspection of %(date)s: %(well)s found “%(result)s”.")
    )
    description = found % {
        "date": inspection.inspected_on.isoformat(),
        "well": inspection.well.code,
        "result": inspection.get_result_display(),
    }
    if inspection.note:
        description = f"{description} {inspection.note}"
    return open_ticket(
        source=TicketSource.PATROL if patrol else TicketSource.INSPECTION,
        actor=inspection.inspector,
        description=description[:2000],
        well=inspection.well,
        patrol=patrol,
        inspection=inspection,
    )


# Guards -----------------------------------------------------------------------
# Each takes the locked ticket, the caller's data, the actor and the files;
# refuses with TicketError; sets the ticket's fields; returns (the event's
# data, the files to link to the event).


def _guard_assign(ticket, data, actor, files):
    raw = data.get("unit")
    try:
        # One of the actor's units: another bureau's is as one not there.
        unit = Unit.objects.visible_to(actor).get(pk=int(raw))
    except (Unit.DoesNotExist, TypeError, ValueError, OverflowError):
        raise TicketError(_("Choose the unit that must rectify the problem."), field="unit") from None
    due_on = _read_date(data, "due_on", _("deadline"))
    if due_on < timezone.localdate():
        raise TicketError(_("The deadline cannot be in the past."), field="due_on")
    ticket.unit = unit
    ticket.due_on = due_on
    return {"unit": unit.pk, "unit_name": unit.name, "due_on": due_on.isoformat()}, []


def _guard_rectify(ticket, data, actor, files):
    if actor.role not in BUREAU_ROLES and ticket.unit_id != actor.unit_id:
        raise TicketError(
            _("Only the unit the ticket is assigned to reports its rectification."), code=TicketError.FORBIDDEN
        )
    note = _read_text(data, "note", _("what was done"))
    ids = data.get("attachments") or []
    if not isinstance(ids, list | tuple):
        ids = [ids]
    try:
        ids = {int(pk) for pk in ids}
    except (TypeError, ValueError):
        raise TicketError(_("Evidence must be given by the ids of uploaded files."), field="attachments") from None
    stored = list(SupervisionFile.objects.filter(ticket=ticket, pk__in=ids, event__isnull=True))
    if len(stored) != len(ids):
        raise TicketError(_("Some evidence files are not this ticket's, or were used before."), field="attachments")
    evidence = {f.pk: f for f in [*files, *stored]}
    if not evidence:
        raise TicketError(_("Attach the evidence of the rectification (a photo or a document)."), field="attachments")
    ticket.rectified_by = actor
    return {"note": note, "attachments": sorted(evidence)}, list(evidence.values())


def _not_the_rectifier(ticket, actor):
    if ticket.rectified_by_id == actor.pk:
        raise TicketError(
            _("You reported this rectification: someone else must review it."), code=TicketError.FORBIDDEN
        )


def _guard_review_pass(ticket, data, actor, files):
    _not_the_rectifier(ticket, actor)
    reply = _read_text(data, "reply", _("public reply"), required=False)
    if reply:
        ticket.reply = reply
    return ({"reply": reply} if reply else {}), []


def _guard_review_fail(ticket, data, actor, files):
    _not_the_rectifier(ticket, actor)
    return {"reason": _read_text(data, "reason", _("reason"))}, []


def _guard_reply(ticket, data, actor, files):
    reply = _read_text(data, "reply", _("public reply"))
    ticket.reply = reply
    return {"reply": reply}, []


def _guard_register_well(ticket, data, actor, files):
    if ticket.well_id is not None:
        raise TicketError(_("This ticket is already about a well of the ledger."))
    if ticket.lat is None or ticket.lng is None:
        raise TicketError(_("The ticket has no location: the well cannot be placed in the ledger."), field="lat")
    code = _read_text(data, "code", _("well code"))
    owner_name = _read_text(data, "owner_name", _("owner"))
    owner_kind = data.get("owner_kind") or OwnerKind.PERSON
    if owner_kind not in OwnerKind.values:
        raise TicketError(_("Choose the owner's kind."), field="owner_kind")
    try:
        township = Township.objects.visible_to(actor).get(code=str(data.get("township") or ""))
    except Township.DoesNotExist:
        raise TicketError(_("Choose the township or street of the well."), field="township") from None
    try:
        unit = Unit.objects.visible_to(actor).get(pk=int(data.get("responsible_unit")))
    except (Unit.DoesNotExist, TypeError, ValueError, OverflowError):
        raise TicketError(_("Choose the well's responsible unit."), field="responsible_unit") from None
    try:
        campaign = Campaign.objects.visible_to(actor).get(pk=int(data.get("campaign")))
    except (Campaign.DoesNotExist, TypeError, ValueError, OverflowError):
        raise TicketError(_("Choose the campaign the well is to be closed in."), field="campaign") from None
    uses = data.get("uses") or []
    if isinstance(uses, str):
        uses = [uses]
    if not uses or any(use not in Use.values for use in uses):
        raise TicketError(_("Choose what the well's water is used for."), field="uses")
    values = {
        "code": code,
        "uses": list(uses),
        "owner_name": owner_name,
        "owner_kind": owner_kind,
        "township": township,
        "village": _read_text(data, "village", _("village"), required=False)[:100],
        "lat": ticket.lat,
        "lng": ticket.lng,
        "responsible_unit": unit,
        "campaign": campaign,
        "category": Category.UNLICENSED,
        "note": _("Found by ticket %(tracking)s.") % {"tracking": ticket.tracking},
    }
    try:
        well = create_well(actor=actor, values=values)
    except ValidationError as error:
        raise _first_error(error, Well) from None
    ticket.well = well
    return {"well": well.code}, []


_GUARDS = {
    TicketAction.ASSIGN: _guard_assign,
    TicketAction.RECTIFY: _guard_rectify,
    TicketAction.REVIEW_PASS: _guard_review_pass,
    TicketAction.REVIEW_FAIL: _guard_review_fail,
    TicketAction.REGISTER_WELL: _guard_register_well,
    TicketAction.REPLY: _guard_reply,
}


# Field readers ----------------------------------------------------------------

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def _read_text(data, name, label, *, required=True):
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    if not value and required:
        raise TicketError(_("Fill in the %(field)s.") % {"field": label}, field=name)
    if len(value) > TEXT_MAX_LENGTH:
        raise TicketError(
            _("The %(field)s is too long (%(limit)s characters at most).") % {"field": label, "limit": TEXT_MAX_LENGTH},
            field=name,
        )
    try:
        return check_text(value, label)
    except ValidationError as error:
        raise TicketError(error.messages[0], field=name) from None


def _read_date(data, name, label):
    value = data.get(name)
    if isinstance(value, datetime.date):
        parsed = value
    else:
        text = "" if value is None else str(value).strip()
        if not text:
            raise TicketError(_("Fill in the %(field)s.") % {"field": label}, field=name)
        try:
            if not _ISO_DATE.fullmatch(text):
                raise ValueError(text)
            parsed = datetime.date.fromisoformat(text)
        except ValueError:
            raise TicketError(
                _("The %(field)s must be a date written YYYY-MM-DD.") % {"field": label}, field=name
            ) from None
    try:
        return check_date(parsed, label)
    except ValidationError as error:
        raise TicketError(error.messages[0], field=name) from None


def _first_error(error, model=Ticket):
    """The first message of a model's ValidationError, as a TicketError on
    its field, the field named in the message."""
    if hasattr(error, "error_dict"):
        field, messages = next(iter(error.message_dict.items()))
        if field == "__all__":
            return TicketError(messages[0])
        return TicketError(f"{model._meta.get_field(field).verbose_name}: {messages[0]}", field=field)
    return TicketError(error.messages[0])


__all__ = ["TicketError", "available_actions", "open_ticket", "perform", "settle"]
