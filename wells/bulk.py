"""Bulk actions over the ledger's ticked wells: serve the closure notice,
cut the power, set the deadline, name the responsible person. Each applies
to every ticked well that can take it — each well through its own door, in
its own transaction — and lists the others with the reason; nothing is all
or nothing, and one refusal never holds the rest back.

Which wells can take an action is decided twice, on purpose: cheaply for a
whole page of the ledger (:func:`able_wells`, a few queries, so that the
"select those that can" buttons never tick a well that cannot), and well by
well when the action is taken (the lifecycle's own rules, the work plan, the
door's guard), which is what counts."""

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wells.changes import WorkflowError, change_facts, editable_fields
from wells.choices import ACTION_ROLES, TRANSITIONS, Action, Status
from wells.forms import ActionForm, DateInput
from wells.models import Well
from wells.workflow import perform
from wells.workplan import actions_now, ready_q, work_plan

# The bulk actions, in the order the ledger offers them, with the fact a
# facts action changes.
NOTIFY, DISCONNECT, DEADLINE, RESPONSIBLE_PERSON = "notify", "disconnect", "deadline", "responsible_person"
BULK_ACTIONS = {
    NOTIFY: gettext_lazy("Serve the closure notice"),
    DISCONNECT: gettext_lazy("Cut the power"),
    DEADLINE: gettext_lazy("Set the deadline"),
    RESPONSIBLE_PERSON: gettext_lazy("Name the responsible person"),
}
FACT_ACTIONS = {DEADLINE, RESPONSIBLE_PERSON}
# A typed notice number would be shared by every notice of the batch, where
# each notice served has its own number (the notify door's sequence): the
# bulk form leaves it out as soon as its declaration lets it.
PER_WELL_FIELDS = {"notice_no"}


def offered(user):
    """The bulk actions ``user`` may take at all."""
    role = getattr(user, "role", None)
    allowed = editable_fields(user)
    return [
        kind
        for kind in BULK_ACTIONS
        if (kind in FACT_ACTIONS and kind in allowed) or (kind not in FACT_ACTIONS and role in ACTION_ROLES[kind])
    ]


def _lifecycle_q(action):
    """Wells whose state lets ``action`` start (the lifecycle's own table;
    a licensed well is disconnected only after its licence is revoked, as
    :func:`wells.workflow.available_actions` says)."""
    condition = Q(status__in=sorted(TRANSITIONS[action][0]))
    if action == Action.DISCONNECT:
        condition &= ~Q(status=Status.NOTIFIED) | Q(license_no="")
    return condition & ready_q(action)


def able_wells(wells, user):
    """``{well id: {bulk actions it can take}}`` for the wells of one
    ledger page: one query per bulk action the user is offered."""
    able = {well.pk: set() for well in wells}
    ids = list(able)
    for kind in offered(user):
        if kind in FACT_ACTIONS:
            for pk in ids:
                able[pk].add(kind)
            continue
        for pk in Well.objects.filter(pk__in=ids).filter(_lifecycle_q(Action(kind))).values_list("pk", flat=True):
            able[pk].add(kind)
    return able


class FactForm(forms.Form):
    """The one fact a facts bulk action sets on every well."""

    def __init__(self, *args, kind, **kwargs):
        super().__init__(*args, **kwargs)
        model_field = Well._meta.get_field(kind)
        self.fields[kind] = model_field.formfield(required=kind == DEADLINE)
        if kind == DEADLINE:
            self.fields[kind].widget = DateInput()


def bulk_form(kind, data=None):
    """The form of a bulk action: the action's own fields (without a
    version: each well is changed as it is now), or the one fact."""
    if kind in FACT_ACTIONS:
        return FactForm(data, kind=kind)
    form = ActionForm(data, action=Action(kind))
    for name in PER_WELL_FIELDS & form.fields.keys():
        if not form.fields[name].required:
            del form.fields[name]
    return form


@dataclass
class BulkResult:
    done: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # [(well, reason)]


def why_not(well, kind, user):
    """Why ``well`` cannot take the bulk action ``kind`` now, or None: the
    well page's own answer (its buttons, its work plan)."""
    if well.archived_at is not None:
        return _("The well is archived.")
    if kind in FACT_ACTIONS:
        return None
    plan = work_plan(well, user)
    if Action(kind) in actions_now(well, user, plan):
        return None
    waiting = plan.waiting(kind) if plan is not None else None
    if waiting:
        return waiting
    return _("Not possible while the well is “%(status)s”.") % {"status": well.get_status_display()}


def apply(kind, form, wells, user):
    """Take the bulk action on each of ``wells`` that can take it, each in
    its own transaction; return the wells done and those skipped with why."""
    result = BulkResult()
    for well in wells:
        reason = why_not(well, kind, user)
        if reason is None:
            try:
                if kind in FACT_ACTIONS:
                    change_facts(well, actor=user, values={kind: form.cleaned_data[kind]}, version=well.version)
                else:
                    perform(well, Action(kind), actor=user, data=form.workflow_data())
            except WorkflowError as error:
                reason = error.message
            except ValidationError as error:
                reason = "；".join(error.messages)
        if reason is None:
            result.done.append(well)
        else:
            result.skipped.append((well, reason))
    return result
