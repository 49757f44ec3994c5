"""The supervision pages: patrols on the phone, the problem ledger, and the
public's report pages (no sign-in). Every page starts from the scope
methods (``Patrol.objects.visible_to``, ``Ticket.objects.visible_to``; 404
outside them) and changes things only through the engines."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from supervision import patrols, public
from supervision.choices import (
    PUBLIC_WELL_STATE_DEFAULT,
    PUBLIC_WELL_STATES,
    TICKET_ACTION_ROLES,
    TICKET_OPENING_ROLES,
    PatrolState,
    TicketAction,
    TicketSource,
)
from supervision.files import store_file
from supervision.filtersets import TicketFilterSet
from supervision.forms import ACTION_FORMS, FindingForm, NewTicketForm, PhotoUploadForm, PublicReportForm
from supervision.models import Patrol, PatrolWell, SupervisionFile, Ticket, TicketEvent
from supervision.workflow import TicketError, available_actions, open_ticket, perform
from wellclosure.paging import BoundedPaginator
from wells.changes import WorkflowError
from wells.models import Well
from wells.uploads import INLINE_CONTENT_TYPES, attachment_response

PAGE_SIZE = 50


def _refusal_status(error):
    if error.code == WorkflowError.NOT_FOUND:
        raise Http404(error.message)
    return {WorkflowError.FORBIDDEN: 403, WorkflowError.STALE: 409}.get(error.code, 400)


# Patrols ----------------------------------------------------------------------------


@require_GET
@login_required
def patrol_list(request):
    """The patrols the user sees, newest first, with the duties' compliance
    and, for an officer, the button that starts a patrol."""
    visible = Patrol.objects.visible_to(request.user).select_related("unit")
    page = BoundedPaginator(visible, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "patrols": page.object_list,
        "may_patrol": request.user.role in patrols.PATROLLING_ROLES,
        "under_way": visible.filter(state=PatrolState.UNDER_WAY, patroller=request.user).first(),
    }
    return render(request, "supervision/patrol_list.html", context)


@require_POST
@login_required
def patrol_start(request):
    """Start a patrol at the phone's time (the form sends it: a patrol's
    times are the phone's, as its track's are)."""
    try:
        patrol = patrols.start_patrol(actor=request.user, started_at=request.POST.get("started_at") or None)
    except WorkflowError as error:
        if error.code == WorkflowError.FORBIDDEN:
            raise PermissionDenied from error
        messages.error(request, error.message)
        return redirect("supervision:patrols")
    return redirect("supervision:patrol", pk=patrol.pk)


def _scoped_patrol(request, pk):
    return get_object_or_404(Patrol.objects.visible_to(request.user).select_related("unit", "campaign"), pk=pk)


def _patrol_context(request, patrol, **extra):
    passed = list(PatrolWell.objects.filter(patrol=patrol).select_related("well"))
    rule = patrols.rule_of(patrol.campaign)
    track = [[float(lat), float(lng)] for lat, lng, _at in patrols.track_of(patrol)]
    return {
        "patrol": patrol,
        "rule": rule,
        "passed": passed,
        "finding_form": FindingForm(),
        "photo_form": PhotoUploadForm(),
        "photos": list(SupervisionFile.objects.filter(patrol=patrol)),
        "is_patroller": patrol.patroller_id == request.user.pk,
        "map_data": {
            "tracks": [track],
            "wells": [
                {"code": p.well.code, "lat": float(p.well.lat), "lng": float(p.well.lng), "result": p.result}
                for p in passed
            ],
        },
        **extra,
    }


@require_GET
@login_required
def patrol_detail(request, pk):
    """Under way: the recorder (the phone's position sent in batches, the
    length and duration, photos, finish). Finished: its map, the wells it
    passed and what was found at each."""
    patrol = _scoped_patrol(request, pk)
    return render(request, "supervision/patrol_detail.html", _patrol_context(request, patrol))


@require_POST
@login_required
def patrol_finding(request, pk):
    patrol = _scoped_patrol(request, pk)
    if patrol.patroller_id != request.user.pk:
        raise PermissionDenied
    form = FindingForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            passed = patrols.record_finding(
                patrol,
                data["well"],
                actor=request.user,
                result=data["result"],
                note=data["note"],
                deadline=data["deadline"],
            )
        except WorkflowError as error:
            status = _refusal_status(error)
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("%(well)s: “%(result)s” is recorded.")
                % {"well": passed.well.code, "result": passed.get_result_display()},
            )
            return redirect("supervision:patrol", pk=patrol.pk)
    context = _patrol_context(request, patrol, finding_form=form, failed_well=request.POST.get("well"))
    return render(request, "supervision/patrol_detail.html", context, status=status)


@require_POST
@login_required
def patrol_photos(request, pk):
    patrol = _scoped_patrol(request, pk)
    if patrol.patroller_id != request.user.pk:
        raise PermissionDenied
    form = PhotoUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            with transaction.atomic():
                for photo in form.cleaned_data["photos"]:
                    store_file(photo, uploaded_by=request.user, patrol=patrol, photos_only=True)
        except ValidationError as error:
            form.add_error("photos", error)
        else:
            messages.success(request, _("The photos are kept with the patrol."))
            return redirect("supervision:patrol", pk=patrol.pk)
    context = _patrol_context(request, patrol, photo_form=form)
    return render(request, "supervision/patrol_detail.html", context, status=400)


# Tickets ----------------------------------------------------------------------------


@require_GET
@login_required
def ticket_list(request):
    """The problem ledger (问题台账): the tickets the user sees, under the
    API's filters, newest first."""
    tickets = Ticket.objects.visible_to(request.user).select_related("well", "unit")
    filterset = TicketFilterSet(request.GET, queryset=tickets, request=request)
    if filterset.is_valid():
        tickets = filterset.qs
    page = BoundedPaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for ticket in page.object_list:
        ticket.overdue = ticket.is_overdue(today)
    context = {
        "page": page,
        "tickets": page.object_list,
        "filterset": filterset,
        "may_open": request.user.role in TICKET_OPENING_ROLES,
    }
    return render(request, "supervision/ticket_list.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def ticket_new(request):
    """Open a ticket by hand: the bureau's staff, or an officer (the well, if
    named, must be in their scope)."""
    if request.user.role not in TICKET_OPENING_ROLES:
        raise PermissionDenied
    status = 200
    if request.method == "POST":
        form = NewTicketForm(request.POST)
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            well = None
            if data["well"]:
                well = Well.objects.visible_to(request.user).filter(code=data["well"]).first()
                if well is None:
                    form.add_error("well", _("No such well."))
            if not form.errors:
                try:
                    ticket = open_ticket(
                        source=data["source"],
                        actor=request.user,
                        description=data["description"],
                        well=well,
                        lat=data["lat"],
                        lng=data["lng"],
                    )
                except TicketError as error:
                    form.add_error(error.field if error.field in form.fields else None, error.message)
                else:
                    return redirect("supervision:ticket", pk=ticket.pk)
    else:
        form = NewTicketForm(initial={"well": request.GET.get("well", "")})
    return render(request, "supervision/ticket_new.html", {"form": form}, status=status)


def _scoped_ticket(request, pk):
    tickets = Ticket.objects.visible_to(request.user).select_related("well", "unit", "rectified_by")
    return get_object_or_404(tickets, pk=pk)


def _ticket_context(request, ticket, forms=None):
    actions = available_actions(ticket, request.user)
    events = list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").prefetch_related("files"))
    files = list(SupervisionFile.objects.filter(ticket=ticket))
    for stored in files:
        stored.is_image = stored.content_type in INLINE_CONTENT_TYPES
    forms = forms or {}
    for action in actions:
        if action not in forms:
            forms[action] = ACTION_FORMS[action](user=request.user)
    return {
        "ticket": ticket,
        "events": events,
        "files": files,
        "actions": [{"code": action.value, "label": action.label, "form": forms[action]} for action in actions],
        "overdue": ticket.is_overdue(),
        "shows_reporter": request.user.is_bureau,
    }


@require_GET
@login_required
def ticket_detail(request, pk):
    ticket = _scoped_ticket(request, pk)
    return render(request, "supervision/ticket_detail.html", _ticket_context(request, ticket))


@require_POST
@login_required
def ticket_action(request, pk, action):
    """One action on one ticket through the engine; a refusal shows beside
    its form with what was typed kept."""
    ticket = _scoped_ticket(request, pk)
    if action not in ACTION_FORMS:
        raise Http404(_("No such action."))
    action = TicketAction(action)
    if request.user.role not in TICKET_ACTION_ROLES[action]:
        raise PermissionDenied
    form = ACTION_FORMS[action](request.POST, request.FILES, user=request.user)
    status = 400
    if form.is_valid():
        data = form.engine_data() if hasattr(form, "engine_data") else dict(form.cleaned_data)
        if "unit" in data and hasattr(data["unit"], "pk"):
            data["unit"] = data["unit"].pk
        photos = data.pop("photos", [])
        try:
            with transaction.atomic():
                evidence = [store_file(p, uploaded_by=request.user, ticket=ticket) for p in photos]
                ticket = perform(
                    ticket, action, actor=request.user, data=data, version=request.POST.get("version"), files=evidence
                )
        except ValidationError as error:
            form.add_error(None, error.messages[0])
        except TicketError as error:
            status = _refusal_status(error)
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("“%(action)s” is recorded: the ticket is now “%(state)s”.")
                % {"action": action.label, "state": ticket.get_state_display()},
            )
            return redirect("supervision:ticket", pk=ticket.pk)
    ticket = _scoped_ticket(request, pk)
    context = _ticket_context(request, ticket, forms={action: form})
    context["failed_action"] = action.value
    return render(request, "supervision/ticket_detail.html", context, status=status)


@require_GET
@login_required
def file_download(request, pk):
    """A patrol's or a ticket's file, for those who see its patrol or ticket."""
    visible = SupervisionFile.objects.filter(
        Q(patrol__in=Patrol.objects.visible_to(request.user)) | Q(ticket__in=Ticket.objects.visible_to(request.user))
    )
    return attachment_response(get_object_or_404(visible, pk=pk))


# The public's pages (no sign-in) ---------------------------------------------------------


def public_state_of(well):
    return PUBLIC_WELL_STATES.get(well.status, PUBLIC_WELL_STATE_DEFAULT)


@require_GET
def public_well(request, code):
    """What a well's QR label opens: its code and public state, and the
    button to report a problem with it. Nothing else about the well."""
    if "\x00" in code:
        raise Http404(_("No such well."))
    well = get_object_or_404(Well.objects.filter(archived_at__isnull=True).only("code", "status"), code=code)
    ledger_url = None
    if request.user.is_authenticated and Well.objects.visible_to(request.user).filter(pk=well.pk).exists():
        ledger_url = reverse("wells:well", args=[well.code])
    context = {"well": well, "public_state": public_state_of(well), "ledger_url": ledger_url}
    return render(request, "supervision/public_well.html", context)


@require_http_methods(["GET", "POST"])
def public_report(request):
    """The public's report: text, photos, a location by tapping the map or by
    GPS, an optional phone number; answered with a tracking number."""
    well_code = request.GET.get("well") or request.POST.get("well") or ""
    well = None
    if well_code and "\x00" not in well_code:
        well = Well.objects.filter(code=well_code, archived_at__isnull=True).only("code").first()
    status = 200
    if request.method == "POST":
        form = PublicReportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                ticket = public.submit_report(request, form.cleaned_data, form.cleaned_data["photos"])
            except public.TooManyReports as error:
                form.add_error(None, error.message)
                status = 429
            except TicketError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = 400
            else:
                return redirect("supervision:public-tracking", tracking=ticket.tracking)
        else:
            status = 400
    else:
        form = PublicReportForm(initial={"well": well.code if well else ""})
    return render(request, "supervision/public_report.html", {"form": form, "well": well}, status=status)


@require_GET
def public_tracking(request, tracking):
    """A report's state and the bureau's public reply, by its tracking
    number: never the reporter's details or the internal notes."""
    ticket = get_object_or_404(
        Ticket.objects.prefetch_related(Prefetch("events", TicketEvent.objects.order_by("pk"))),
        tracking=tracking.upper(),
        source=TicketSource.PUBLIC,
    )
    return render(request, "supervision/public_tracking.html", {"view": public.public_view(ticket)})
