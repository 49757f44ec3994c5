"""The doors through which a well changes (DESIGN §3 "One door for every
change"). Nothing else saves a well: the admin, the pages, the API, the
import and the tasks app call these functions, and the lifecycle's own door,
:func:`wells.workflow.perform`, is built from the same pieces.

Each door does, inside one transaction:

1. lock the well's row, reached through the actor's scope (404 outside it);
2. refuse a stale ``version`` (409 in the API, a form error on a page);
3. bump ``version``;
4. write one :class:`~wells.models.WellChange` — who, when, what kind,
   ``{field: [before, after]}`` — on SQLite and PostgreSQL alike.

The doors: :func:`create_well`, :func:`change_facts`,
:func:`record_inspection`, :func:`record_supply`, :func:`archive_well`,
:func:`restore_well` and :func:`import_wells` (many rows at once, each with
its own record). An archived well refuses every change but its restore.

Apps built on the wells (the tasks app) follow the changes through hooks
registered with :func:`connect` from their ``AppConfig.ready``: wells may
not import them (DESIGN §2). Every hook runs in the change's transaction.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.choices import BUREAU_ROLES, Role
from accounts.models import Unit
from wellclosure import bulk
from wellclosure.validators import check_text
from wells.choices import Action, Category, ChangeKind, InspectionResult, Status
from wells.models import Attachment, Campaign, Inspection, Township, Well, WellChange, WellEvent


class WorkflowError(Exception):
    """A change was refused. ``code`` is one of ``refused`` (a rule or a
    field), ``forbidden`` (the role), ``not_found`` (out of scope) and
    ``stale`` (someone changed the well since the caller read it)."""

    REFUSED = "refused"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    STALE = "stale"

    def __init__(self, message, *, code=REFUSED, field=None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


# Which door changes which field. The lifecycle's fields change only by an
# action (wells.workflow.perform), the replacement supply only through its
# task (record_supply), the archive mark only by archive and restore.
LIFECYCLE_FIELDS = frozenset({"status", "version", "enforced", "comply_by", "review_on", "accepted_on"})
SUPPLY_FIELDS = frozenset({"supply_connected_on"})
ARCHIVE_FIELDS = frozenset({"archived_at"})
# What nobody sets: the database and the clock keep them.
KEPT_FIELDS = frozenset({"id", "created_at", "updated_at"})
# A well's facts: everything else. Bureau roles may change any of them; a
# township officer these of the wells of their own unit (DESIGN §5).
FACT_FIELDS = frozenset(
    field.name
    for field in Well._meta.concrete_fields
    if field.name not in LIFECYCLE_FIELDS | SUPPLY_FIELDS | ARCHIVE_FIELDS | KEPT_FIELDS
)
OFFICER_FIELDS = frozenset({"responsible_person", "lat", "lng", "note"})

# What a well's history records: every field but those that move on every
# write and say nothing.
_RECORDED = [field for field in Well._meta.concrete_fields if field.name not in {"version", "updated_at", "id"}]


# Hooks ----------------------------------------------------------------------

_HOOKS = {
    # check(well, action, actor, data): before an action, under the row
    # lock; refuses by raising WorkflowError and changes nothing.
    "check": [],
    # on_action(well, event): after every successful action.
    "on_action": [],
    # on_create(wells): after wells were created (one, or an import's).
    "on_create": [],
    # on_facts(well, changes): after a change of facts, with {field: [before, after]}.
    "on_facts": [],
    # on_archive(well) and on_restore(well).
    "on_archive": [],
    "on_restore": [],
    # on_inspection(inspection, origin): after an inspection was recorded;
    # origin is the work it belongs to (a supervision patrol), or None.
    "on_inspection": [],
}


def connect(**hooks):
    """Register hooks by name (the keys of ``_HOOKS``). Registering a
    function again keeps one copy."""
    for name, function in hooks.items():
        registered = _HOOKS[name]  # a wrong name fails loudly at start-up
        if function not in registered:
            registered.append(function)


def run_hooks(name, *args):
    for function in _HOOKS[name]:
        function(*args)


# The four steps ---------------------------------------------------------------


def lock(well, actor):
    """Lock ``well``'s row as ``actor`` may reach it (archived wells too,
    for bureau roles) and return it fresh; refuse with ``not_found`` when it
    is out of the actor's scope. Call inside a transaction."""
    scoped = Well.objects.visible_to(actor, archived=None)
    try:
        return scoped.select_for_update(of=("self",)).get(pk=well.pk)
    except Well.DoesNotExist:
        raise WorkflowError(_("No such well."), code=WorkflowError.NOT_FOUND) from None


def refuse_archived(well):
    if well.archived_at is not None:
        raise WorkflowError(_("This well is archived: restore it before changing anything on it."))


def check_version(well, version):
    """Refuse as stale when the caller read another version of ``well`` than
    the locked row holds; ``None`` means the caller holds no earlier read."""
    if version is not None and str(version) != str(well.version):
        raise WorkflowError(
            _(
                "This well was changed by someone else (version %(current)s, you have %(yours)s). "
                "Reload it and try again."
            )
            % {"current": well.version, "yours": version},
            code=WorkflowError.STALE,
            field="version",
        )


def snapshot(well):
    """The recorded fields of ``well``, to compare after a change."""
    return {field.name: getattr(well, field.attname) for field in _RECORDED}


# Values a history record keeps as they are (most of them: the test is by
# type first, for the import's 10,000 wells × 26 fields).
_AS_IS = frozenset({str, int, bool, float, list, type(None)})


def jsonable(value):
    """A field's value as a history record keeps it: dates as ISO text,
    decimals as text (exactly as stored), lists as lists."""
    if type(value) in _AS_IS:
        return value
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple):
        return list(value)
    return value


def differences(before, well):
    """``{field: [before, after]}`` of what changed since ``before``."""
    after = snapshot(well)
    return {name: [jsonable(before[name]), jsonable(after[name])] for name in after if before[name] != after[name]}


def read_note(value, *, field="note", label=None):
    """A change's note (or reason) as its records keep it: text without
    control characters (wellclosure.validators), refused on ``field``."""
    note = "" if value is None else str(value)
    try:
        check_text(note, label or _("note"))
    except ValidationError as error:
        raise WorkflowError(error.messages[0], field=field) from None
    return note


def actor_name(actor):
    """The name a record copies from its actor, so that it outlives the user."""
    return str(actor)[:150] if actor is not None else ""


def history_record(well, changes, *, actor, kind, note="", event=None, at=None):
    """The history record of one change to ``well`` (unsaved), at the well's
    version after the change."""
    return WellChange(
        well=well,
        kind=kind,
        at=at or timezone.now(),
        actor=actor,
        actor_name=actor_name(actor),
        changes=changes,
        note=str(note or ""),
        version=well.version,
        event=event,
    )


def save_and_record(well, changes, *, actor, kind, note="", event=None, extra=None):
    """Steps 3 and 4: bump the locked ``well``'s version, save the fields
    that ``changes`` names, and write the history record (``extra`` adds to
    the record's changes what is not a field of the well)."""
    note = read_note(note)
    attnames = [Well._meta.get_field(name).attname for name in changes]
    well.version += 1
    well.save(update_fields=[*attnames, "version", "updated_at"])
    record = history_record(well, {**changes, **(extra or {})}, actor=actor, kind=kind, note=note, event=event)
    record.save()
    return record


def recheck_scope(well, actor):
    """A change must not move the well out of its writer's reach."""
    if not Well.objects.visible_to(actor, archived=None).filter(pk=well.pk).exists():
        raise WorkflowError(_("This change would take the well out of your scope."), code=WorkflowError.FORBIDDEN)


# The doors ----------------------------------------------------------------------


def editable_fields(actor):
    """The facts ``actor`` may change (empty for a role that may change none)."""
    role = getattr(actor, "role", None)
    if role in BUREAU_ROLES:
        return FACT_FIELDS
    if role == Role.TOWNSHIP_OFFICER:
        return OFFICER_FIELDS
    return frozenset()


def _refuse_fields(names, actor):
    names = set(names)
    lifecycle = sorted(names & LIFECYCLE_FIELDS)
    if lifecycle:
        raise WorkflowError(
            _("%(fields)s change only through a lifecycle action.") % {"fields": ", ".join(lifecycle)},
            field=lifecycle[0],
        )
    if names & SUPPLY_FIELDS:
        raise WorkflowError(
            _("The replacement supply is recorded only through its task, with its evidence."),
            field="supply_connected_on",
        )
    if names & ARCHIVE_FIELDS:
        raise WorkflowError(_("A well is archived and restored through its own actions."), field="archived_at")
    unknown = sorted(names - FACT_FIELDS)
    if unknown:
        raise WorkflowError(_("No such field: %(fields)s.") % {"fields": ", ".join(unknown)}, field=unknown[0])
    allowed = editable_fields(actor)
    beyond = sorted(names - allowed)
    if beyond:
        if not allowed:
            message = _("Your role may not change a well's facts.")
        else:
            message = _("Your role may change only %(allowed)s; not: %(fields)s.") % {
                "allowed": "、".join(sorted(_verbose(name) for name in allowed)),
                "fields": "、".join(_verbose(name) for name in beyond),
            }
        raise WorkflowError(message, code=WorkflowError.FORBIDDEN, field=beyond[0])


def _verbose(name):
    return str(Well._meta.get_field(name).verbose_name)


def _validate(well, names):
    """The model's own rules for the changed fields and the well as a whole;
    raises Django's ValidationError keyed by field."""
    others = [field.name for field in Well._meta.concrete_fields if field.name not in names]
    well.clean_fields(exclude=others)
    well.clean()
    if "code" in names:
        well.validate_unique(exclude=others)


def category_refusal(well, category_before):
    """Why ``well``'s category may not become what it now says, or None.
    Retaining a well is the lifecycle's (the retain action, with its reason
    and review date; release to take it back): a category changed to or from
    保留 by itself would leave a well to close counted as retained, or the
    other way round."""
    retained_now, retained_before = well.category == Category.RETAINED, category_before == Category.RETAINED
    if retained_now == retained_before or (retained_now and well.status == Status.RETAINED):
        return None
    if retained_now:
        return _("A well is retained by the retain action (with its reason and review date), not by its category.")
    return _("This well is retained: release it (the release action) before giving it another category.")


def change_facts(well, *, actor, values, version, note=""):
    """Change facts of ``well`` (never its lifecycle, supply or archive):
    ``values`` is ``{field name: new value}``. Bureau roles may change any
    fact, a township officer those of :data:`OFFICER_FIELDS`. Returns the
    updated well; a change that changes nothing writes nothing. Raises
    :class:`WorkflowError`, or Django's ``ValidationError`` for a value the
    model refuses."""
    _refuse_fields(values, actor)
    with transaction.atomic():
        locked = lock(well, actor)
        refuse_archived(locked)
        check_version(locked, version)
        before = snapshot(locked)
        for name, value in values.items():
            setattr(locked, name, value)
        changes = differences(before, locked)
        if not changes:
            return locked
        refusal = category_refusal(locked, before["category"])
        if refusal:
            raise WorkflowError(refusal, field="category")
        _validate(locked, changes)
        refuse_unreached([locked], actor, names=changes)
        save_and_record(locked, changes, actor=actor, kind=ChangeKind.FACTS, note=note)
        recheck_scope(locked, actor)
        run_hooks("on_facts", locked, changes)
    return locked


def create_well(*, actor, values, kind=ChangeKind.FACTS, note=""):
    """Add a well (bureau roles). It starts ``inventoried`` — or
    ``retained``, with its retain event, when its category is 保留 — and
    gets its tasks in the same transaction. Raises ``ValidationError`` for
    values the model refuses."""
    if getattr(actor, "role", None) not in BUREAU_ROLES:
        raise WorkflowError(_("Only the bureau adds wells to the ledger."), code=WorkflowError.FORBIDDEN)
    _refuse_fields(values, actor)
    well = Well(**values)
    well.full_clean()
    refuse_unreached([well], actor)
    with transaction.atomic():
        insert_wells([well], actor=actor, kind=kind, note=note)
    return well


def _reached_fields():
    return (
        ("campaign", Campaign, _("No such campaign.")),
        ("township", Township, _("No such township or street.")),
        ("responsible_unit", Unit, _("No such unit.")),
    )


def refuse_unreached(wells, actor, names=None):
    """New or changed wells name only the campaigns, townships and units of
    the actor's reach (wells.scope): another bureau's answer as ones that
    are not there. ``names`` limits the check to those fields (the ones a
    change changed); one query per field that names something."""
    for name, model, message in _reached_fields():
        if names is not None and name not in names:
            continue
        asked = {getattr(well, f"{name}_id") for well in wells} - {None}
        if asked and asked - set(model.objects.visible_to(actor).filter(pk__in=asked).values_list("pk", flat=True)):
            raise WorkflowError(message, field=name)


def insert_wells(wells, *, actor, kind, note=""):
    """Insert new, already validated wells in bulk: each with its history
    record, a retained one with its retain event, and the tasks of all of
    them (``on_create``). Call inside a transaction."""
    for well in wells:
        well.version = 1
        if well.category == Category.RETAINED:
            well.status = Status.RETAINED
    bulk.insert(Well, wells)
    now = timezone.now()
    retained = [well for well in wells if well.status == Status.RETAINED]
    events = bulk.insert(
        WellEvent,
        [
            WellEvent(
                well=well,
                action=Action.RETAIN,
                from_status=Status.INVENTORIED,
                to_status=Status.RETAINED,
                actor=actor,
                actor_name=actor_name(actor),
                created_at=now,
                data={"reason": well.note or str(_("Kept by the inventory as category 保留.")), "review_on": None},
            )
            for well in retained
        ],
    )
    events_by_well = {event.well_id: event.pk for event in events}
    # The records' rows straight from the wells (bulk.insert_values): an
    # import's 10,000 records need no instances.
    record = _record_values(actor=actor, kind=kind, note=note, at=now)
    bulk.insert_values(
        WellChange,
        [
            {
                **record,
                "well_id": well.pk,
                "changes": created_changes(well),
                "version": well.version,
                "event_id": events_by_well.get(well.pk),
            }
            for well in wells
        ],
    )
    run_hooks("on_create", wells)


_RECORDED_ATTRIBUTES = [(field.name, field.attname) for field in _RECORDED]


def created_changes(well):
    """A new well's history record's changes: each recorded field from
    nothing to its value, as :func:`jsonable` keeps it (inlined for the
    plain values: an import's 10,000 wells × 24 fields)."""
    changes = {}
    for name, attname in _RECORDED_ATTRIBUTES:
        value = getattr(well, attname)
        changes[name] = [None, value if type(value) in _AS_IS else jsonable(value)]
    return changes


def _record_values(*, actor, kind, note, at):
    """The values every history record of one batch shares, by attribute
    name, as :func:`history_record` sets them."""
    return {
        "kind": kind,
        "at": at,
        "actor_id": actor.pk if actor is not None else None,
        "actor_name": actor_name(actor),
        "note": str(note or ""),
    }


def record_inspection(well, *, actor, values, version=None, photos=(), deadline=None, origin=None):
    """Record an inspection of ``well`` (``values``: inspected_on, result,
    lat, lng, note) with its stored ``photos``. One that finds an accepted
    well in use reactivates it, which needs the new ``deadline`` of its next
    round of closure work. ``origin`` is the work the inspection is part of
    (a supervision patrol), for the ``on_inspection`` hooks. Returns the
    inspection."""
    if getattr(actor, "role", None) not in BUREAU_ROLES | {Role.TOWNSHIP_OFFICER}:
        raise WorkflowError(_("Your role may not record inspections."), code=WorkflowError.FORBIDDEN)
    from wells.workflow import perform  # the lifecycle's door is built on these

    with transaction.atomic():
        locked = lock(well, actor)
        refuse_archived(locked)
        check_version(locked, version)
        reuse = values.get("result") == InspectionResult.IN_USE and locked.status == Status.ACCEPTED
        if reuse and deadline is None:
            raise WorkflowError(
                _("This inspection finds an accepted well in use: give the new deadline for closing it again."),
                field="deadline",
            )
        inspection = Inspection(well=locked, inspector=actor, inspector_name=actor_name(actor), **values)
        inspection.full_clean(exclude=["well", "inspector"])
        inspection.save()
        if photos:
            Attachment.objects.filter(pk__in=[photo.pk for photo in photos]).update(inspection=inspection)
        extra = {
            "inspection": [None, inspection.pk],
            "result": [None, inspection.result],
            "inspected_on": [None, inspection.inspected_on.isoformat()],
        }
        save_and_record(locked, {}, actor=actor, kind=ChangeKind.INSPECTION, note=inspection.note, extra=extra)
        if reuse:
            reason = inspection.note or _("Found in use at the inspection of %(date)s.") % {
                "date": inspection.inspected_on.isoformat()
            }
            perform(
                locked,
                Action.REACTIVATE,
                actor=actor,
                data={"reason": reason[:500], "inspection": inspection.pk, "deadline": deadline},
                version=locked.version,
            )
        run_hooks("on_inspection", inspection, origin)
    return inspection


def record_supply(well, *, actor, connected_on, evidence, version, note=""):
    """Record the replacement supply of ``well`` as connected on
    ``connected_on``, with ``evidence`` (attachments of the well). Called
    only by the supply task's completion (the tasks app), which decides who
    may; returns the updated well."""
    with transaction.atomic():
        locked = lock(well, actor)
        refuse_archived(locked)
        check_version(locked, version)
        before = snapshot(locked)
        locked.supply_connected_on = connected_on
        extra = {"evidence": [None, sorted(attachment.pk for attachment in evidence)]}
        save_and_record(
            locked, differences(before, locked), actor=actor, kind=ChangeKind.SUPPLY, note=note, extra=extra
        )
    return locked


def _archive_door(well, *, actor, reason, version, archive):
    if getattr(actor, "role", None) not in BUREAU_ROLES:
        raise WorkflowError(_("Only the bureau archives and restores wells."), code=WorkflowError.FORBIDDEN)
    reason = read_note(reason, field="reason", label=_("reason")).strip()
    if not reason:
        raise WorkflowError(_("Fill in the reason."), field="reason")
    with transaction.atomic():
        locked = lock(well, actor)
        check_version(locked, version)
        if archive and locked.archived_at is not None:
            raise WorkflowError(_("This well is already archived."))
        if not archive and locked.archived_at is None:
            raise WorkflowError(_("This well is not archived."))
        before = snapshot(locked)
        locked.archived_at = timezone.now() if archive else None
        kind = ChangeKind.ARCHIVE if archive else ChangeKind.RESTORE
        save_and_record(locked, differences(before, locked), actor=actor, kind=kind, note=reason)
        run_hooks("on_archive" if archive else "on_restore", locked)
    return locked


def archive_well(well, *, actor, reason, version):
    """Take a well out of the work (entered by mistake, found twice): it
    leaves every list, figure, export, report and task list, refuses every
    change, and its open tasks are cancelled. Nothing is deleted."""
    return _archive_door(well, actor=actor, reason=reason, version=version, archive=True)


def restore_well(well, *, actor, reason, version):
    """Bring an archived well back into the work, with its tasks."""
    return _archive_door(well, actor=actor, reason=reason, version=version, archive=False)


def import_wells(*, actor, created, updated, note=""):
    """Write an import: ``created`` are new, validated wells; ``updated`` is
    ``[(well, before)]`` of wells the caller locked (``lock_for_import``),
    checked against the versions the file holds, changed in memory, with
    their :func:`snapshot` from before. Every row bumps its version and gets
    its own history record; new wells get their tasks. Call inside the
    import's transaction."""
    if created:
        refuse_unreached(created, actor)
    if updated:
        # A row may move a well to a township or unit: one of the actor's.
        for name in ("campaign", "township", "responsible_unit"):
            moved = [well for well, before in updated if getattr(well, f"{name}_id") != before[name]]
            refuse_unreached(moved, actor, names={name})
    insert_wells(created, actor=actor, kind=ChangeKind.IMPORT, note=note)
    if not updated:
        return
    now = timezone.now()
    record = _record_values(actor=actor, kind=ChangeKind.IMPORT, note=note, at=now)
    records, fields, moved = [], set(), []
    for well, before in updated:
        changes = differences(before, well)
        if changes.keys() & {"deadline", "responsible_unit"}:
            moved.append((well, changes))
        fields.update(Well._meta.get_field(name).attname for name in changes)
        well.version += 1
        well.updated_at = now
        records.append({**record, "well_id": well.pk, "changes": changes, "version": well.version})
    Well.objects.bulk_update([well for well, _before in updated], [*sorted(fields), "version", "updated_at"], 1000)
    bulk.insert_values(WellChange, records)
    for well, changes in moved:
        run_hooks("on_facts", well, changes)


def lock_for_import(codes, actor):
    """The wells of ``codes`` that exist, locked, by code, as ``actor``
    reaches them (archived ones too: the import refuses them by row)."""
    wells = Well.objects.visible_to(actor, archived=None).filter(code__in=codes).select_for_update(of=("self",))
    return {well.code: well for well in wells}
