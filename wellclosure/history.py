"""The field history of wells, tasks, users and units (django-pghistory).

PostgreSQL triggers write an event row for every insert, update and delete
of a tracked model, whether it came from ``save()``, ``queryset.update()``,
``bulk_create`` or raw SQL; this module attaches who did it (the request's
user, or the one a management command names) and reads the events back as
"who changed what from what to what, when".

On SQLite (the development default) the triggers are not installed and no
field history is kept; the lifecycle events (``WellEvent``) are kept on
every database."""

import contextlib

import pghistory
from django.contrib.auth import get_user_model
from django.db import connection
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from pghistory.middleware import HistoryMiddleware as PgHistoryMiddleware

# Columns that change on every write and say nothing a person needs.
NOISE = frozenset({"updated_at", "version"})


def keeps_history():
    """True where the database records field history (PostgreSQL)."""
    return connection.vendor == "postgresql"


class HistoryMiddleware(PgHistoryMiddleware):
    """Attach the signed-in user (and the address asked for) to every change
    a request makes. Token-authenticated API users are attached when DRF
    authenticates them. Nothing happens on SQLite, which has no triggers."""

    def __call__(self, request):
        if not keeps_history():
            return self.get_response(request)
        return super().__call__(request)


@contextlib.contextmanager
def acting_as(user, **metadata):
    """Attribute every change inside the block to ``user`` (a management
    command, an import run outside a request). No-op on SQLite."""
    if not keeps_history():
        yield
        return
    with pghistory.context(user=user.pk if user is not None else None, **metadata):
        yield


def tracked(model_name, *, exclude=()):
    """The decorator that keeps a model's field history: an append-only
    event per insert, update and delete (``model_name``), reachable as
    ``obj.history``. ``exclude`` names columns not to copy (secrets, and
    columns that change on every sign-in)."""
    return pghistory.track(
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        obj_field=pghistory.ObjForeignKey(related_name="history"),
        model_name=model_name,
        exclude=list(exclude),
    )


def _shown(field, value, related):
    if value is None or value == "" or value == []:
        return "—"
    if field.is_relation:
        return related.get((field.name, value), f"#{value}")
    if field.choices:
        labels = dict(field.flatchoices)
        if isinstance(value, list | tuple):
            return "、".join(str(labels.get(item, item)) for item in value)
        return str(labels.get(value, value))
    if isinstance(value, list | tuple):
        return "、".join(str(item) for item in value)
    return str(value)


def _related_names(fields, events):
    """``{(field name, id): str(object)}`` for the related objects the
    events name where that field changed, one query per such field."""
    names = {}
    for field in fields:
        if not field.is_relation:
            continue
        values = {getattr(event, field.attname) for event in events}
        ids = values - {None}
        if len(values) > 1 and ids:
            for related in field.related_model._base_manager.filter(pk__in=ids):
                names[(field.name, related.pk)] = str(related)
    return names


def changes_of(obj, *, limit=200):
    """The history of ``obj``, newest first: one dict per change with
    ``at``, ``actor`` (a person's name, or "system" where none is known:
    a migration, a command run without one), ``kind`` (created, changed,
    deleted) and ``changes``, a list of ``(field label, before, after)``.
    Empty where no history is kept."""
    history = getattr(obj, "history", None)
    if history is None or not keeps_history() or obj.pk is None:
        return []
    events = list(history.select_related("pgh_context").order_by("pgh_id"))
    model = type(obj)
    fields = [
        field
        for field in model._meta.concrete_fields
        if field.name not in NOISE and any(f.attname == field.attname for f in history.model._meta.concrete_fields)
    ]
    related = _related_names(fields, events)
    user_ids = {_user_id(event) for event in events} - {None}
    names = {user.pk: str(user) for user in get_user_model()._base_manager.filter(pk__in=user_ids)}
    rows, previous = [], None
    for event in events:
        if event.pgh_label == "insert" or previous is None:
            kind, changes = _("created"), []
        else:
            kind = _("deleted") if event.pgh_label == "delete" else _("changed")
            changes = [
                (
                    str(field.verbose_name),
                    _shown(field, getattr(previous, field.attname), related),
                    _shown(field, getattr(event, field.attname), related),
                )
                for field in fields
                if getattr(previous, field.attname) != getattr(event, field.attname)
            ]
            if not changes and event.pgh_label == "update":
                previous = event
                continue  # only the version or the time stamp moved
        previous = event
        user_id = _user_id(event)
        actor = names.get(user_id) or (_("user #%(id)s") % {"id": user_id} if user_id else _("system"))
        rows.append({"at": event.pgh_created_at, "actor": actor, "kind": kind, "changes": changes})
    rows.reverse()
    return rows[:limit]


def _user_id(event):
    if not event.pgh_context_id or event.pgh_context is None:
        return None
    user_id = event.pgh_context.metadata.get("user")
    try:
        return int(user_id) if user_id is not None else None
    except (TypeError, ValueError):
        return None


class HistoryAdminMixin:
    """Show an object's change history, read-only, at the foot of its admin
    page (PostgreSQL only; the history itself cannot be changed there or
    anywhere else in the product)."""

    history_fieldset_name = _lazy("Change history")

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is None or not keeps_history():
            return fieldsets
        fieldsets = [
            (name, {**options, "fields": [f for f in options["fields"] if f != "change_history"]})
            for name, options in fieldsets
        ]
        return [*fieldsets, (self.history_fieldset_name, {"classes": ["collapse"], "fields": ["change_history"]})]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "change_history"] if obj is not None and keeps_history() else readonly

    def change_history(self, obj):
        return render_to_string("includes/change_history.html", {"history": changes_of(obj)})

    # What admin.display(description=…) sets; the admin is not imported
    # here, since the models import this module.
    change_history.short_description = _lazy("Change history")
