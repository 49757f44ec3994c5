"""A well's history as people read it (DESIGN §3): every change, newest
first, as ``{at, actor, kind, changes, note}``.

The records are the doors' own (:class:`wells.models.WellChange`, on every
database). On PostgreSQL the field-history triggers (django-pghistory) are
the backstop: a change that reached the table without a door — raw SQL,
which bumps no version — shows too, from the trigger's row, so that nothing
written to a well goes unseen."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wellclosure.history import keeps_history
from wells.changes import jsonable
from wells.choices import Action, ChangeKind, InspectionResult
from wells.models import Well

# What a record may hold beside the well's own fields.
EXTRA_LABELS = {
    "action": gettext_lazy("Action"),
    "inspection": gettext_lazy("Inspection"),
    "result": gettext_lazy("Result"),
    "inspected_on": gettext_lazy("Inspected on"),
    "evidence": gettext_lazy("Evidence"),
}
EXTRA_CHOICES = {"action": Action, "result": InspectionResult}
_FIELDS = {field.name: field for field in Well._meta.concrete_fields}
# Kept in the record, not worth a line on a page: a row's id, a time stamp.
HIDDEN = frozenset({"created_at", "inspection"})


def well_history(well):
    """The history of ``well``, newest first: a list of dicts with ``at``,
    ``actor``, ``kind``, ``changes`` ({field: [before, after]}), ``note``
    and ``version`` (the well's version after the change)."""
    entries = [
        {
            "at": record.at,
            "actor": record.actor_name,
            "kind": record.kind,
            "changes": record.changes,
            "note": record.note,
            "version": record.version,
            "order": (record.at, 1, record.pk),
        }
        for record in well.changelog.order_by("pk")
    ]
    if keeps_history():
        entries += _outside_the_doors(well)
    entries.sort(key=lambda entry: entry.pop("order"), reverse=True)
    return entries


def _outside_the_doors(well):
    """The trigger rows of changes that no door recorded: an update that
    changed fields without bumping the version (every door bumps it)."""
    rows = list(well.history.select_related("pgh_context").order_by("pgh_id"))
    names = _actor_names(rows)
    entries, previous = [], None
    for row in rows:
        outside = row.pgh_label == "update" and previous is not None and row.version == previous.version
        changes = _values(previous, row) if outside else {}
        previous = row
        if changes:
            entries.append(
                {
                    "at": row.pgh_created_at,
                    "actor": names.get(_user_id(row), _("database")),
                    "kind": ChangeKind.FACTS,
                    "changes": changes,
                    "note": _("Written to the database outside the product's doors (field history)."),
                    "version": row.version,
                    "order": (row.pgh_created_at, 0, row.pgh_id),
                }
            )
    return entries


def _values(before, row):
    changes = {}
    for name, field in _FIELDS.items():
        old, new = getattr(before, field.attname), getattr(row, field.attname)
        if name not in {"id", "version", "updated_at"} and old != new:
            changes[name] = [jsonable(old), jsonable(new)]
    return changes


def _user_id(row):
    context = row.pgh_context
    user = context.metadata.get("user") if context is not None else None
    try:
        return int(user) if user is not None else None
    except (TypeError, ValueError):
        return None


def _actor_names(rows):
    ids = {_user_id(row) for row in rows} - {None}
    return {user.pk: str(user) for user in get_user_model()._base_manager.filter(pk__in=ids)}


# Shown on a page -----------------------------------------------------------


def shown(entries):
    """``entries`` of :func:`well_history` as the pages show them: the kind's
    label, and each change as (field label, before, after) in words — labels
    for codes, names for related objects, "—" for nothing."""
    related = _related_names(entries)
    rows = []
    for entry in entries:
        rows.append(
            {
                "at": entry["at"],
                "actor": entry["actor"] or _("system"),
                "kind": ChangeKind(entry["kind"]).label,
                "kind_code": entry["kind"],
                "note": entry["note"],
                "changes": [
                    (_label(name), _shown(name, before, related), _shown(name, after, related))
                    for name, (before, after) in entry["changes"].items()
                    if name not in HIDDEN
                ],
            }
        )
    return rows


def _label(name):
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    field = _FIELDS.get(name)
    return str(field.verbose_name) if field is not None else name


def _related_names(entries):
    wanted = {}
    for entry in entries:
        for name, pair in entry["changes"].items():
            field = _FIELDS.get(name)
            if field is not None and field.is_relation:
                wanted.setdefault(name, set()).update(value for value in pair if value is not None)
    names = {}
    for name, ids in wanted.items():
        for obj in _FIELDS[name].related_model._base_manager.filter(pk__in=ids):
            names[(name, obj.pk)] = str(obj)
    return names


def _shown(name, value, related):
    if value is None or value == "" or value == []:
        return "—"
    if name in EXTRA_CHOICES:
        choices = EXTRA_CHOICES[name]
        return str(choices(value).label) if value in choices.values else str(value)
    if isinstance(value, list):
        labels = dict(_FIELDS[name].flatchoices) if name in _FIELDS else {}
        return "、".join(str(labels.get(item, item)) for item in value)
    field = _FIELDS.get(name)
    if field is None:
        return str(value)
    if field.is_relation:
        return related.get((name, value), f"#{value}")
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(value)
