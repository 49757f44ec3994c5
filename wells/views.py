"""Pages of the ledger outside the admin: an officer's wells, a well's page
with its actions, the bureau's ledger, the leaders' dashboard, the printed
label, and the scope-checked attachment download.

Every page starts from ``Well.objects.visible_to`` (a well outside it is a
404), filters through :class:`wells.filtersets.WellFilterSet`, and changes a
well only through the forms of :mod:`wells.forms`, which call
:func:`wells.workflow.perform`."""

import logging

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.choices import BUREAU_ROLES, Role
from accounts.models import Unit
from wellclosure.offline import keep_offline, keeps_offline
from wellclosure.paging import BoundedPaginator
from wellclosure.replica import reads_from_replica
from wells import bulk as bulk_actions
from wells import tally
from wells.api.files import XLSX_CONTENT_TYPE, default_campaign, file_response
from wells.choices import (
    ACTION_FIELDS,
    ACTION_ROLES,
    SETTLED_STATUSES,
    TRANSITIONS,
    WORKBOOK_LABELS,
    Action,
    FieldKind,
    Status,
    Use,
)
from wells.excel import (
    ImportFileError,
    error_workbook,
    import_book,
    import_staged,
    preview_workbook,
    read_upload,
    staged_plan,
    staging,
)
from wells.excel.inventory import PREVIEW_ROWS_SHOWN
from wells.figures import rolled_up
from wells.filtersets import WellFilterSet, ledger_wells
from wells.forms import EvidenceUploadForm, FactsForm, InspectionForm, PageActionForm, search_form, submit_or_refuse
from wells.history import shown, well_history
from wells.models import Attachment, Campaign, Township, Well, WellTally, settled_last
from wells.panels import dashboard_panels, well_panels
from wells.scope import home_division
from wells.uploads import INLINE_CONTENT_TYPES, attachment_response, store_attachment, thumbnail_response
from wells.workflow import WorkflowError
from wells.workplan import actions_now, work_plan

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# The dashboard ranks this many overdue wells and links to the rest.
OVERDUE_SHOWN = 10
# A deadline this close counts as "due soon" on an officer's list.
DUE_SOON_DAYS = 14
# Who records inspections (回头看) on the well's page and prints its
# documents (the notice, the acceptance form), as in the API.
INSPECTING_ROLES = BUREAU_ROLES | {Role.TOWNSHIP_OFFICER}
DOCUMENT_ROLES = BUREAU_ROLES | {Role.TOWNSHIP_OFFICER}

# The ledger's sortable columns: the orderings WellFilterSet accepts.
SORTABLE_COLUMNS = {
    "code": gettext_lazy("Code"),
    "deadline": gettext_lazy("Deadline"),
    "updated_at": gettext_lazy("Last change"),
}

# One colour per status, on the map and its legend (the badges in
# wells/static/wells/site.css use the same): each at least 4.5:1 against
# the badges' white text (WCAG AA; tests/browser/test_phone_pages.py).
STATUS_COLOURS = {
    Status.INVENTORIED: "#5f6368",
    Status.NOTIFIED: "#a54d00",
    Status.LICENSE_REVOKED: "#7a6200",
    Status.DISCONNECTED: "#1f5fae",
    Status.SEALED: "#6440a8",
    Status.ACCEPTED: "#2a7436",
    Status.RETAINED: "#00707a",
    Status.REACTIVATED: "#b71c1c",
}

# The funnel: wells to close that have reached each step or gone beyond it.
FUNNEL_STAGES = [
    (gettext_lazy("To close"), None),
    (
        gettext_lazy("Notice served"),
        {Status.NOTIFIED, Status.LICENSE_REVOKED, Status.DISCONNECTED, Status.SEALED, Status.ACCEPTED},
    ),
    (gettext_lazy("Power cut"), {Status.DISCONNECTED, Status.SEALED, Status.ACCEPTED}),
    (gettext_lazy("Sealed"), {Status.SEALED, Status.ACCEPTED}),
    (gettext_lazy("Accepted"), {Status.ACCEPTED}),
]

# Labels of the values an event records, from the actions' declared fields.
# Ids (of attachments, of an inspection) say nothing to a reader: the
# timeline shows those rows themselves.
EVENT_DATA_LABELS = {
    field.name: field.label
    for fields in ACTION_FIELDS.values()
    for field in fields
    if field.kind not in {FieldKind.ATTACHMENTS, FieldKind.INSPECTION}
}
EVENT_DATA_LABELS["license_no"] = Well._meta.get_field("license_no").verbose_name


def _scoped_well(request, code, *, related=("township", "responsible_unit")):
    """The well with this code if the user may see it; 404 otherwise."""
    if "\x00" in code:  # PostgreSQL cannot compare text holding NUL; no code holds one.
        raise Http404(_("No such well."))
    # A well's own page reaches it in the archive too (bureau roles).
    wells = Well.objects.visible_to(request.user, archived=None).select_related(*related)
    return get_object_or_404(wells, code=code)


def _with_countdown(wells, today):
    """Mark each well with the days to its deadline and how urgent it is:
    ``settled``, ``overdue``, ``today``, ``soon``, ``later`` or ``none``."""
    for well in wells:
        well.days_left = (well.deadline - today).days if well.deadline else None
        well.days_overdue = -well.days_left if well.days_left is not None else None
        if well.status in SETTLED_STATUSES:
            well.urgency = "settled"
        elif well.days_left is None:
            well.urgency = "none"
        elif well.days_left < 0:
            well.urgency = "overdue"
        elif well.days_left == 0:
            well.urgency = "today"
        else:
            well.urgency = "soon" if well.days_left <= DUE_SOON_DAYS else "later"
    return wells


def _uses_display(well):
    labels = dict(Use.choices)
    return "、".join(str(labels.get(code, code)) for code in well.uses)


# An officer's wells --------------------------------------------------------


@require_GET
@login_required
@keep_offline
def my_wells(request):
    """The wells of the user's scope, the urgent first: overdue, then by
    deadline; accepted and retained wells last."""
    today = timezone.localdate()
    visible = Well.objects.visible_to(request.user)
    # Searched and filtered by the ledger's one FilterSet (code, owner,
    # village; status).
    filterset = WellFilterSet(request.GET, queryset=visible, request=request)
    wells = filterset.qs if filterset.is_valid() else visible.none()
    wells = wells.annotate(settled=settled_last()).order_by("settled", F("deadline").asc(nulls_last=True), "code")
    # An officer's total from the tally, as the ledger's: counted from the
    # wells, a large unit's clustered rows cost a scan of the table (0.4 s).
    page = BoundedPaginator(wells, PAGE_SIZE, total=_tallied_total(filterset, request.user)).get_page(
        request.GET.get("page")
    )
    _with_countdown(page.object_list, today)
    context = {
        "page": page,
        "wells": page.object_list,
        "counts": tally.of_scope(request.user).summary_counts(today),
        "search": search_form(request.GET),
        # The phone keeps these wells' pages (and the forms each names), and
        # the page of its queue.
        "offline_pages": [reverse("offline-queue"), *(reverse("wells:well", args=[w.code]) for w in page.object_list)]
        if keeps_offline(request.user)
        else None,
    }
    return render(request, "wells/my_wells.html", context)


# The bureau's ledger ------------------------------------------------------


def _ledger_filterset(request):
    wells = ledger_wells(request.user, request.GET).select_related("township", "responsible_unit")
    filterset = WellFilterSet(request.GET, queryset=wells, request=request)
    form = filterset.form
    status = form.fields["status"]
    status.widget = forms.CheckboxSelectMultiple()
    status.choices = status.choices
    for name in ("deadline_after", "deadline_before"):
        form.fields[name].widget.input_type = "date"
    return filterset


def _sort_links(request):
    """For each sortable column: the URL that sorts by it (ascending, or
    descending when it already sorts ascending) and the current direction."""
    current = request.GET.get("ordering", "")
    links = []
    for column, label in SORTABLE_COLUMNS.items():
        direction = "asc" if current == column else "desc" if current == f"-{column}" else ""
        query = request.GET.copy()
        query.pop("page", None)
        query["ordering"] = f"-{column}" if direction == "asc" else column
        links.append({"column": column, "label": label, "url": f"?{query.urlencode()}", "direction": direction})
    return links


def _in_api_order(wells):
    """The wells in the API list's order (its keyset pagination's): the
    ordering field with NULLs after every value, ties broken by id in the
    same direction, so a page and the API list the same rows alike."""
    term = (wells.query.order_by or Well._meta.ordering)[0]
    name = term.lstrip("-")
    if term.startswith("-"):
        return wells.order_by(F(name).desc(nulls_first=True), "-pk")
    return wells.order_by(F(name).asc(nulls_last=True), "pk")


def _tallied_total(filterset, user):
    """The filtered ledger's exact size from the well tally, when the tally
    can answer for these filters and this user; else None (the pages count
    up to their cap)."""
    if not filterset.is_valid():
        return 0
    source = tally.figures(filterset, user)
    if source.model is not WellTally:
        return None
    return source.order_by().aggregate(total=source.well_count())["total"]


@require_GET
@login_required
def ledger(request):
    """The ledger under the API's filters (one FilterSet), sortable, paged,
    with the bulk notice for those who may serve it and the Excel export
    of the same filters."""
    filterset = _ledger_filterset(request)
    wells = _in_api_order(filterset.qs) if filterset.is_valid() else Well.objects.none()
    page = BoundedPaginator(wells, PAGE_SIZE, total=_tallied_total(filterset, request.user)).get_page(
        request.GET.get("page")
    )
    _with_countdown(page.object_list, timezone.localdate())
    able = bulk_actions.able_wells(page.object_list, request.user)
    for well in page.object_list:
        well.bulk_able = " ".join(sorted(able[well.pk]))
    filters = request.GET.copy()
    filters.pop("page", None)
    context = {
        "filterset": filterset,
        "form": filterset.form,
        "page": page,
        "wells": page.object_list,
        "sort_links": _sort_links(request),
        "bulk_actions": [(kind, bulk_actions.BULK_ACTIONS[kind]) for kind in bulk_actions.offered(request.user)],
        "may_import": request.user.role in BUREAU_ROLES,
        "filters_query": filters.urlencode(),
        "export_url": reverse("api:export-wells") + (f"?{filters.urlencode()}" if filters else ""),
    }
    return render(request, "wells/ledger.html", context)


@require_POST
@login_required
def bulk(request, kind):
    """A bulk action (:mod:`wells.bulk`) on the wells ticked in the ledger:
    first the form, with the wells that will take it and those that will
    not and why; then each well that can take it is changed through its
    door, and those that could not are listed with the reason."""
    if kind not in bulk_actions.BULK_ACTIONS:
        raise Http404
    if kind not in bulk_actions.offered(request.user):
        raise PermissionDenied
    filters_query = request.POST.get("filters", "")
    back = reverse("wells:ledger") + (f"?{filters_query}" if filters_query else "")
    # PostgreSQL cannot compare text holding NUL; no code holds one.
    codes = [code for code in request.POST.getlist("wells") if "\x00" not in code]
    wells = list(
        Well.objects.visible_to(request.user)
        .filter(code__in=codes)
        .select_related("township", "responsible_unit")
        .order_by("code")
    )
    if not wells:
        messages.warning(request, _("Tick at least one well in the ledger first."))
        return redirect(back)
    label = bulk_actions.BULK_ACTIONS[kind]
    form = bulk_actions.bulk_form(kind, request.POST if "apply" in request.POST else None)
    context = {"form": form, "kind": kind, "label": label, "filters_query": filters_query, "back": back}
    if form.is_bound and form.is_valid():
        result = bulk_actions.apply(kind, form, wells, request.user)
        done = len(result.done)
        if done:
            messages.success(
                request,
                ngettext("“%(action)s” is done on %(count)d well.", "“%(action)s” is done on %(count)d wells.", done)
                % {"action": label, "count": done},
            )
            if kind == bulk_actions.NOTIFY and request.user.role in DOCUMENT_ROLES:
                codes = ",".join(well.code for well in result.done)
                notices = reverse("api:well-notices") + "?" + urlencode({"code": codes})
                messages.info(request, format_html('<a href="{}">{}</a>', notices, _("Print the notices (Word)")))
        if not result.skipped:
            return redirect(back)
        context.update({"done": result.done, "skipped": result.skipped, "applied": True})
        return render(request, "wells/bulk.html", context)
    skipped = [(well, reason) for well in wells if (reason := bulk_actions.why_not(well, kind, request.user))]
    taking = [well for well in wells if well not in {w for w, _reason in skipped}]
    context.update({"wells": taking, "skipped": skipped})
    return render(request, "wells/bulk.html", context, status=400 if form.is_bound else 200)


# A well's page ------------------------------------------------------------


def _event_details(event):
    details = []
    for name, value in event.data.items():
        if name in EVENT_DATA_LABELS and value not in (None, ""):
            details.append((EVENT_DATA_LABELS[name], value))
    if event.action == Action.REVERT and event.data.get("reverted_action") in Action.values:
        details.append((_("Reverted"), Action(event.data["reverted_action"]).label))
    return details


def _timeline(well):
    """The well's events, inspections and attachments, newest first; an
    attachment shows under the event or inspection it belongs to."""
    events = list(well.events.order_by("pk"))
    inspections = list(well.inspections.all())
    attachments = list(
        well.attachments.only(
            "pk",
            "kind",
            "original_name",
            "content_type",
            "size",
            "uploaded_at",
            "event_id",
            "inspection_id",
            "well_id",
            "warning",
        ).order_by("uploaded_at", "pk")
    )
    by_event, by_inspection, loose = {}, {}, []
    for attachment in attachments:
        attachment.is_image = attachment.content_type in INLINE_CONTENT_TYPES
        if attachment.event_id:
            by_event.setdefault(attachment.event_id, []).append(attachment)
        elif attachment.inspection_id:
            by_inspection.setdefault(attachment.inspection_id, []).append(attachment)
        else:
            loose.append(attachment)
    entries = [
        {
            "kind": "event",
            "at": event.created_at,
            "order": event.pk,
            "event": event,
            "details": _event_details(event),
            "attachments": by_event.get(event.pk, []),
        }
        for event in events
    ]
    entries += [
        {
            "kind": "inspection",
            "at": inspection.created_at,
            "order": inspection.pk,
            "inspection": inspection,
            "attachments": by_inspection.get(inspection.pk, []),
        }
        for inspection in inspections
    ]
    entries += [{"kind": "attachment", "at": a.uploaded_at, "order": a.pk, "attachments": [a]} for a in loose]
    # Newest first; records of the same moment in the order they were made.
    entries.sort(key=lambda entry: (entry["at"], entry["order"]), reverse=True)
    return entries


@require_GET
@login_required
@keep_offline
def well_detail(request, code):
    """A well's facts, what may be done with it now, and its history."""
    well = _scoped_well(request, code, related=("township", "responsible_unit", "campaign"))
    _with_countdown([well], timezone.localdate())
    user = request.user
    plan = work_plan(well, user)
    context = {
        "well": well,
        "uses_display": _uses_display(well),
        "actions": actions_now(well, user, plan),
        "work_plan": plan,
        "may_inspect": user.role in INSPECTING_ROLES and user.has_perm("wells.add_inspection"),
        "may_upload": user.role is not None and user.role != Role.LEADER and user.has_perm("wells.add_attachment"),
        "may_print_documents": user.role in DOCUMENT_ROLES,
        "may_edit_facts": well.archived_at is None and FactsForm.editable_by(user),
        "timeline": _timeline(well),
        # Every change to the well, by whom: the doors' records.
        "change_history": shown(well_history(well)),
        # What the apps built on the wells show of it (the meter watch).
        "panels": well_panels(request, well),
    }
    context["photo_warnings"] = [
        attachment for entry in context["timeline"] for attachment in entry["attachments"] if attachment.warning
    ]
    if keeps_offline(user) and well.archived_at is None:
        context["offline_well"], context["offline_pages"] = _offline_well(well, user, context)
    return render(request, "wells/well_detail.html", context)


def _offline_well(well, user, context):
    """What the phone needs to go on working on ``well`` without signal:
    the forms of every action the user may reach from where the well
    stands (a notice served offline makes the power cut next), each with
    the states it starts from and leads to, so that the page can offer the
    next step while the first still waits to be sent; and the pages to keep
    (those forms, the inspection, upload and facts forms)."""
    reachable, frontier = {well.status}, [well.status]
    actions = {}
    while frontier:
        status = frontier.pop()
        for action, (sources, target) in TRANSITIONS.items():
            sources = set(sources)
            if action == Action.DISCONNECT and well.license_no:
                sources.discard(Status.NOTIFIED)
            if user.role not in ACTION_ROLES[action] or target is None or status not in sources:
                continue
            actions[action.value] = {
                "label": str(action.label),
                "from": sorted(sources),
                "to": target.value,
                "url": reverse("wells:action", args=[well.code, action.value]) + "?offline=1",
            }
            if target not in reachable:
                reachable.add(target)
                frontier.append(target)
    pages = [entry["url"] for entry in actions.values()]
    if context["may_inspect"]:
        pages.append(reverse("wells:inspection", args=[well.code]))
    if context["may_upload"]:
        pages.append(reverse("wells:upload", args=[well.code]))
    if context["may_edit_facts"]:
        pages.append(reverse("wells:facts", args=[well.code]))
    data = {
        "code": well.code,
        "status": well.status,
        "version": well.version,
        "actions": actions,
    }
    return data, pages


@require_http_methods(["GET", "POST"])
@login_required
@keep_offline
def well_action(request, code, action):
    """One lifecycle action on one well: a form with exactly the action's
    fields. A refusal shows beside the form with what was typed kept."""
    well = _scoped_well(request, code)
    try:
        action = Action(action)
    except ValueError:
        raise Http404(_("No such action.")) from None
    if request.user.role not in ACTION_ROLES[action]:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = PageActionForm(request.POST, request.FILES, action=action, well=well)
        if form.is_valid():
            try:
                updated = form.submit(request.user)
            except WorkflowError as error:
                if error.code == WorkflowError.NOT_FOUND:
                    raise Http404(error.message) from error
                # Forbidden by the work ledger (a member unit without the
                # task): say so beside the form rather than on a bare 403.
                form.add_workflow_error(error)
                updated, status = None, 403
            if updated is not None:
                messages.success(
                    request,
                    _("“%(action)s” is recorded: the well is now “%(status)s”.")
                    % {"action": action.label, "status": updated.get_status_display()},
                )
                return redirect("wells:well", code=updated.code)
            well = form.well
        if status == 200:
            status = 400
    else:
        plan = work_plan(well, request.user)
        # ?offline=1: the form kept on the phone for a step the officer may
        # reach without signal (the power cut after a notice served
        # offline); the door decides when it is sent.
        offline = request.GET.get("offline") == "1" and keeps_offline(request.user)
        if not offline and action not in actions_now(well, request.user, plan):
            waiting = plan.waiting(action) if plan is not None else None
            if waiting:
                message = _("“%(action)s” cannot be taken yet: %(waiting)s.") % {
                    "action": action.label,
                    "waiting": waiting,
                }
            else:
                message = _("“%(action)s” is not possible for this well now (it is “%(status)s”).") % {
                    "action": action.label,
                    "status": well.get_status_display(),
                }
            messages.warning(request, message)
            return redirect("wells:well", code=well.code)
        form = PageActionForm(action=action, well=well)
    context = {"well": well, "form": form, "action": action, "uses_display": _uses_display(well)}
    return render(request, "wells/action_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@keep_offline
def well_facts(request, code):
    """Change the facts of a well the user may change (an officer: the
    responsible person, the location — typed, tapped on the map or the
    phone's position — and the note), through the facts' door."""
    well = _scoped_well(request, code)
    if not FactsForm.editable_by(request.user):
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = FactsForm(request.POST, instance=well, user=request.user)
        if form.is_valid() and submit_or_refuse(form, request.user) is not None:
            messages.success(request, _("The facts of %(well)s are saved.") % {"well": well.code})
            return redirect("wells:well", code=well.code)
        status = 400
    else:
        form = FactsForm(instance=well, user=request.user)
    tiles = {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION}
    context = {"well": form.instance, "form": form, "tiles": tiles}
    return render(request, "wells/facts_form.html", context, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@keep_offline
def well_inspection(request, code):
    """Record an inspection (巡查, 回头看) with photos; one that finds an
    accepted well in use reactivates it in the same transaction."""
    well = _scoped_well(request, code)
    if request.user.role not in INSPECTING_ROLES or not request.user.has_perm("wells.add_inspection"):
        raise PermissionDenied
    if request.method == "POST":
        form = InspectionForm(request.POST, request.FILES, well=well)
        if form.is_valid():
            inspection = form.submit(actor=request.user)
            if inspection is not None:
                messages.success(
                    request,
                    _("The inspection of %(date)s is recorded.") % {"date": inspection.inspected_on.isoformat()},
                )
                return redirect("wells:well", code=well.code)
        status = 400
    else:
        form = InspectionForm(initial={"inspected_on": timezone.localdate()}, well=well)
        status = 200
    return render(request, "wells/inspection_form.html", {"well": well, "form": form}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
@keep_offline
def well_upload(request, code):
    """Evidence for a well (a notice, a photo, a record), checked and stored
    by :func:`wells.uploads.store_attachment`."""
    well = _scoped_well(request, code)
    if request.user.role in (None, Role.LEADER) or not request.user.has_perm("wells.add_attachment"):
        raise PermissionDenied
    if request.method == "POST":
        form = EvidenceUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment = store_attachment(
                    well=well,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    uploaded_by=request.user,
                    claimed=form.claimed,
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                messages.success(request, _("“%(name)s” is attached to the well.") % {"name": attachment.original_name})
                return redirect("wells:well", code=well.code)
        status = 400
    else:
        form = EvidenceUploadForm()
        status = 200
    return render(request, "wells/upload_form.html", {"well": well, "form": form}, status=status)


@require_GET
@login_required
def well_label(request, code):
    """A printable label (一井一码): the well's code and owner, and a QR code
    of its page's address."""
    well = _scoped_well(request, code)
    # The public page of the well (supervision's): what anyone who scans it may see and report.
    url = request.build_absolute_uri(reverse("supervision:public-well", args=[well.code]))
    qr_svg = segno.make(url, error="m").svg_inline(omitsize=True, title=well.code)
    return render(request, "wells/label.html", {"well": well, "url": url, "qr_svg": qr_svg})


# The leaders' dashboard ------------------------------------------------------


def _cumulative(rows, start):
    """[(date, count)] → [[iso date, running total]], from ``start`` at 0."""
    points, total = [], 0
    if start is not None:
        points.append([start.isoformat(), 0])
    for day, count in rows:
        total += count
        points.append([day.isoformat(), total])
    return points


def _progress(plan, wells, campaign):
    """Planned and actual cumulative closures. Planned: the wells to close
    (``plan``: [(unit, deadline, wells)]) by their deadlines. Actual: the
    accepted wells by the date of their last acceptance, grouped in the
    database."""
    by_deadline = {}
    for _unit, deadline, count in plan:
        by_deadline[deadline] = by_deadline.get(deadline, 0) + count
    undated = by_deadline.pop(None, 0)
    planned_rows = sorted(by_deadline.items())
    campaign_deadline = campaign.deadline if campaign else None
    if undated:
        fallback = campaign_deadline or (planned_rows[-1][0] if planned_rows else timezone.localdate())
        planned_rows.append((fallback, undated))
        planned_rows.sort()

    actual_rows = wells.filter(status=Status.ACCEPTED).order_by().values_list("accepted_on").annotate(n=Count("*"))
    # An acceptance without a recorded date (loaded from elsewhere) counts
    # from the start.
    start = campaign.issued_on if campaign and campaign.issued_on else None
    undated_day = start or timezone.localdate()
    actual_rows = sorted((day or undated_day, count) for day, count in actual_rows)
    return {
        "planned": _cumulative(planned_rows, start),
        "actual": _cumulative(actual_rows, start),
        "deadline": campaign_deadline.isoformat() if campaign_deadline else None,
        "today": timezone.localdate().isoformat(),
    }


def _map_data(figures, wells, query):
    """The map: each well with a position while there are at most
    ``settings.MAP_POINT_LIMIT``; beyond that (a province's campaign), each
    township as one circle at the centre of its wells, with its figures and
    a link to its wells in the ledger. Returns (points, areas, wells shown)."""
    townships = figures.by_township()
    located = sum(row["located"] for row in townships)
    if located <= settings.MAP_POINT_LIMIT:
        points = [
            {"code": code, "owner": owner, "status": status, "lat": float(lat), "lng": float(lng)}
            for code, owner, status, lat, lng in wells.exclude(lat=None)
            .exclude(lng=None)
            .values_list("code", "owner_name", "status", "lat", "lng")
        ]
        return points, [], len(points)
    ledger = reverse("wells:ledger")
    areas = [
        {
            "name": row["township__name"] or _("No township"),
            "lat": float(row["lat_sum"] / row["located"]),
            "lng": float(row["lng_sum"] / row["located"]),
            "wells": row["located"],
            "total": row["total"],
            "to_close": row["to_close"],
            "accepted": row["accepted"],
            "overdue": row["overdue"],
            "rate": row["completion_rate"],
            "url": f"{ledger}?{urlencode({**query, 'township': row['township__code']})}"
            if row["township__code"]
            else None,
        }
        for row in townships
        if row["located"]
    ]
    return [], areas, located


def _dashboard_labels():
    return {
        "planned": _("Planned"),
        "actual": _("Actual"),
        "deadline": _("Campaign deadline"),
        "today": _("Today"),
        "completion": _("Completion rate"),
        "toClose": _("To close"),
        "overdue": _("Overdue"),
        "wells": _("Wells"),
        "statuses": dict(Status.choices),
    }


@require_GET
@login_required
@reads_from_replica
def dashboard(request):
    """Completion overall and per responsible unit, the status funnel, the
    trend toward the deadline, the overdue wells and the map: every figure
    counted by the database over the user's scope, under the ledger's
    filters, as ``/api/v1/stats/summary/`` counts them. Read-only."""
    today = timezone.localdate()
    campaigns = list(Campaign.objects.visible_to(request.user))
    data = request.GET.copy()
    # The first campaign unless one is chosen; ``campaign=`` (empty): all of
    # them, as a prefecture reads its counties' campaigns together.
    if "campaign" not in data and campaigns:
        data["campaign"] = str(campaigns[0].pk)
    filterset = WellFilterSet(data, queryset=ledger_wells(request.user, data), request=request)
    wells = filterset.qs.order_by() if filterset.is_valid() else Well.objects.none()
    campaign = filterset.form.cleaned_data.get("campaign") if filterset.is_valid() else None

    figures = tally.figures(filterset, request.user) if filterset.is_valid() else wells
    totals, units = figures.summary(today)
    plan = figures.to_close_by_deadline()
    deadlines = {}
    for unit_id, deadline, _count in plan:
        if deadline is not None and (unit_id not in deadlines or deadline > deadlines[unit_id]):
            deadlines[unit_id] = deadline
    for row in units:
        row["deadline"] = deadlines.get(row["responsible_unit_id"])
        row["late"] = bool(row["deadline"] and row["deadline"] < today and row["accepted"] < row["to_close"])
        row["percent"] = None if row["completion_rate"] is None else row["completion_rate"] * 100

    status_counts = figures.status_counts()
    statuses = [
        {"code": code, "label": label, "count": status_counts.get(code, 0), "colour": STATUS_COLOURS[code]}
        for code, label in Status.choices
    ]
    funnel = [
        {
            "label": str(label),
            "count": totals["to_close"] if reached is None else sum(status_counts.get(s, 0) for s in reached),
        }
        for label, reached in FUNNEL_STAGES
    ]
    overdue = _with_countdown(
        list(
            wells.overdue(today)
            .select_related("township", "responsible_unit")
            .order_by("deadline", "code")[:OVERDUE_SHOWN]
        ),
        today,
    )
    query = {"campaign": campaign.pk} if campaign else {}
    division = (filterset.form.cleaned_data.get("division") if filterset.is_valid() else None) or home_division(
        request.user
    )
    if filterset.is_valid() and filterset.form.cleaned_data.get("division"):
        query["division"] = division.path
    points, areas, mapped = _map_data(figures, wells, query)
    chart_data = {
        "progress": _progress(plan, wells, campaign),
        "funnel": funnel,
        "units": [
            {"name": row["responsible_unit__name"], "rate": row["completion_rate"], "late": row["late"]}
            for row in units
            if row["to_close"]
        ],
        "statuses": statuses,
        "colours": {status.value: colour for status, colour in STATUS_COLOURS.items()},
        "points": points,
        "areas": areas,
        "wellUrl": reverse("wells:well", args=["__code__"]),
        "tiles": {"url": settings.MAP_TILE_URL, "attribution": settings.MAP_TILE_ATTRIBUTION},
        "labels": _dashboard_labels(),
    }
    context = {
        "filterset": filterset,
        "campaigns": campaigns,
        "campaign": campaign,
        "totals": totals,
        "completion_percent": None if totals["completion_rate"] is None else totals["completion_rate"] * 100,
        "units": units,
        "statuses": statuses,
        "funnel": funnel,
        "overdue": overdue,
        "chart_data": chart_data,
        "summary_url": reverse("api:stats-summary") + (f"?{urlencode(query)}" if query else ""),
        "overdue_url": reverse("wells:ledger") + "?" + urlencode({**query, "overdue": "true", "ordering": "deadline"}),
        "mapped": mapped,
        "mapped_by_township": bool(areas),
        "today": timezone.localdate(),
        "may_report": request.user.reads_bureau_subtree and campaign is not None,
        "division": division,
        "division_trail": division.ancestors() if division else [],
        "divisions": _division_rows(figures, division, totals, campaign),
        # What the apps built on the wells add (the meter watch's closed
        # wells drawing electricity), over the same wells.
        "panels": dashboard_panels(request, wells),
    }
    return render(request, "wells/dashboard.html", context)


def _division_rows(figures, division, totals, campaign):
    """The dashboard's drill-down: the figures of each division one level
    below ``division`` (wells.figures.rolled_up), each with the link one
    level further down (a township's to its wells in the ledger)."""
    rows = rolled_up(figures, division, totals)
    keep = {"campaign": campaign.pk if campaign else ""}
    for row in rows:
        row["percent"] = None if row["completion_rate"] is None else row["completion_rate"] * 100
        row["url"] = (
            f"{reverse('wells:dashboard')}?{urlencode({**keep, 'division': row['path']})}" if row["path"] else None
        )
    return rows


# Evidence -----------------------------------------------------------------


@require_GET
@login_required
def attachment_download(request, pk):
    """Serve an attachment to someone who may see its well (404 for anyone
    else): evidence never has a public URL."""
    attachment = get_object_or_404(Attachment.objects.filter(well__in=Well.objects.visible_to(request.user)), pk=pk)
    return attachment_response(attachment)


@require_GET
@login_required
@keep_offline
def attachment_thumbnail(request, pk, size):
    """A photo's thumbnail (``small``: 320 px, ``large``: 1,280 px), to the
    same people as the photo itself."""
    attachment = get_object_or_404(Attachment.objects.filter(well__in=Well.objects.visible_to(request.user)), pk=pk)
    return thumbnail_response(attachment, size)


# The inventory import: upload, preview, confirm ----------------------------------------------

# The session key of the preview waiting for confirmation (wells.excel.staging).
STAGED_IMPORT = "staged_import"


def _staged_token(request):
    return request.session.get(STAGED_IMPORT, {}).get("token", "")


def _drop_staged(request):
    staging.remove(_staged_token(request))
    request.session.pop(STAGED_IMPORT, None)


class ImportUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Inventory file (.xlsx, .xlsm, .xls, .ods or .csv)"))
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign of new wells"), queryset=Campaign.objects.none(), required=False
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = Campaign.objects.visible_to(user)


def _preview_rows(result, limit=None):
    """The preview's rows as people read them: each row's fields with
    their labels, townships and units by name (the first ``limit``)."""
    townships = dict(Township.objects.values_list("code", "name"))
    units = dict(Unit.objects.values_list("pk", "name"))
    labels = {f.name: f.verbose_name for f in Well._meta.concrete_fields}

    def display(name, value):
        if value is None or value == "":
            return ""
        if name == "township":
            return townships.get(value, value)
        if name == "responsible_unit":
            return units.get(value, value)
        if name == "uses":
            return "、".join(str(Use(use).label) for use in value)
        if name in WORKBOOK_LABELS:
            return WORKBOOK_LABELS[name].get(value, value)
        return value

    rows = []
    for line in result.rows[:limit]:
        fields = [
            {"label": labels.get(name, name), "before": display(name, before), "after": display(name, after)}
            for name, (before, after) in line["changes"].items()
        ]
        rows.append({**line, "fields": fields})
    return rows


def _preview_context(result, rows=None):
    """The page's part of the preview: the first rows of ``rows`` (the
    preview's rows as people read them, made here when not given)."""
    if rows is None:
        rows = _preview_rows(result, PREVIEW_ROWS_SHOWN)
    return {
        "result": result,
        "preview_rows": rows[:PREVIEW_ROWS_SHOWN],
        "rows_hidden": max(0, len(result.rows) - PREVIEW_ROWS_SHOWN),
    }


@require_http_methods(["GET", "POST"])
@login_required
def well_import(request):
    """Upload a file and see, row by row, what it would do and every
    warning (nothing is written); then confirm it, cancel it, or download
    it back with its errors marked. The file is read once: the confirmation
    applies what the preview kept."""
    if request.user.role not in BUREAU_ROLES:
        raise PermissionDenied
    form = ImportUploadForm(request.user, request.POST or None, request.FILES or None)
    context = {"form": form, "result": None}
    if request.method == "POST" and form.is_valid():
        campaign = form.cleaned_data["campaign"] or default_campaign(request.user)
        try:
            book = read_upload(form.cleaned_data["file"])
            result = import_book(book, campaign=campaign, actor=request.user, dry_run=True)
        except ImportFileError as error:
            form.add_error("file", error.message)
        else:
            _drop_staged(request)
            errors_file = error_workbook(book.sheets, result.errors) if result.errors else None
            rows = _preview_rows(result)  # every row, for the workbook; the page shows the first
            preview_file = preview_workbook(rows, warnings=result.warnings, errors=result.errors)
            try:
                plan = staged_plan(result, campaign=campaign)
                token = staging.stage(plan, user=request.user, errors_file=errors_file, preview_file=preview_file)
            finally:
                preview_file.close()
                if errors_file is not None:
                    errors_file.close()
            request.session[STAGED_IMPORT] = {"token": token}
            context.update(_preview_context(result, rows), preview_file=True)
    return render(request, "wells/import.html", context)


@require_POST
@login_required
def well_import_confirm(request):
    """Apply the preview: all or nothing, refusing any well changed since."""
    if request.user.role not in BUREAU_ROLES:
        raise PermissionDenied
    token = _staged_token(request)
    plan = staging.load(token, user=request.user)
    if plan is None:
        messages.error(request, _("There is no previewed file to import; upload it again."))
        return redirect("wells:import")
    campaign = Campaign.objects.filter(pk=plan["campaign"]).first()
    try:
        result = import_staged(plan, campaign=campaign, actor=request.user)
    except ImportFileError as error:
        messages.error(request, error.message)
        return redirect("wells:import")
    if result.errors:
        # The ledger changed since the preview (a well changed, a code taken).
        _drop_staged(request)
        context = {"form": ImportUploadForm(request.user), **_preview_context(result), "confirm_refused": True}
        return render(request, "wells/import.html", context)
    _drop_staged(request)
    messages.success(
        request,
        _("Imported: %(created)s wells added, %(updated)s updated, %(unchanged)s unchanged.")
        % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
    )
    return redirect("wells:ledger")


@require_POST
@login_required
def well_import_cancel(request):
    """Drop the preview: nothing is written, nothing is kept."""
    if request.user.role not in BUREAU_ROLES:
        raise PermissionDenied
    _drop_staged(request)
    messages.info(request, _("The preview was cancelled; nothing was imported."))
    return redirect("wells:import")


@require_GET
@login_required
def well_import_errors(request):
    """The previewed file's sheets with a column saying what is wrong on each row."""
    if request.user.role not in BUREAU_ROLES:
        raise PermissionDenied
    return _staged_file(request, staging.errors_path, "机井台账-错误说明.xlsx")


@require_GET
@login_required
def well_import_preview(request):
    """The whole preview as a workbook: every row and each field's before
    and after (the page lists the first rows), the warnings and errors."""
    if request.user.role not in BUREAU_ROLES:
        raise PermissionDenied
    return _staged_file(request, staging.preview_path, "机井台账-导入预览.xlsx")


def _staged_file(request, path_of, name):
    token = _staged_token(request)
    path = path_of(token) if staging.load(token, user=request.user) is not None else None
    if path is None:
        raise Http404
    return file_response(open(path, "rb"), name, XLSX_CONTENT_TYPE)  # noqa: SIM115 - closed by the response
