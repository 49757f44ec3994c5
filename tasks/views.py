"""Pages of the work ledger."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tasks.choices import Step
from tasks.filtersets import TaskFilterSet
from tasks.forms import SupplyForm
from tasks.models import Notification, Task
from tasks.plan import describe
from tasks.services import inspections_due, task_overview
from wellclosure.paging import BoundedPaginator, Chain, count_up_to
from wells.filtersets import WellFilterSet
from wells.forms import search_form, submit_or_refuse
from wells.models import Campaign, Phase, Well

PAGE_SIZE = 50
# 我的任务 is a work list, read from its first pages: its pages reach the
# first 1,000 tasks, its tabs count up to that ("1000+"), and the filters
# and the search narrow it. Each count past that reads every ready task's
# well and waits (a second each at a million wells).
MY_TASKS_CAP = 1_000


@require_GET
@login_required
def my_tasks(request):
    """The open tasks the user may complete — their own unit's first, then
    (bureau roles) other units' on their behalf, the earliest due first:
    those that can be done now, or with ``?waiting=1`` those that wait for
    another step, each saying for what and whom."""
    user = request.user
    waiting = request.GET.get("waiting") == "1"
    mine = Task.objects.completable_by(user)
    ready = mine.ready()
    waiting_tasks = mine.with_readiness().filter(ready=False)
    tasks = (waiting_tasks if waiting else ready.with_readiness()).select_related("well", "unit")
    # The API's filters (unit, step, overdue, due_before …) narrow the list too.
    filterset = TaskFilterSet(request.GET, queryset=tasks, request=request)
    if filterset.is_valid():
        tasks = filterset.qs
    # And the ledger's search of the wells: code, owner, village, the
    # well's status (``status`` here is the well's; a task listed is open).
    search = search_form(request.GET)
    if request.GET.get("q") or request.GET.get("status"):
        found = WellFilterSet(search.data, queryset=Well.objects.visible_to(user), request=request)
        tasks = tasks.filter(well__in=found.qs.values("pk")) if found.is_valid() else tasks.none()
    # The user's own unit's first, then the others', each by due date
    # (the open tasks' index order).
    by_due = (F("due_on").asc(nulls_last=True), "pk")
    listed = Chain(
        tasks.filter(unit_id=user.unit_id).order_by(*by_due),
        tasks.exclude(unit_id=user.unit_id).order_by(*by_due),
        limit=MY_TASKS_CAP + 1,
    )
    page = BoundedPaginator(listed, PAGE_SIZE, cap=MY_TASKS_CAP).get_page(request.GET.get("page"))
    today = timezone.localdate()
    describe(page.object_list, user)
    for task in page.object_list:
        task.own_unit = task.unit_id == user.unit_id
        task.days_left = (task.due_on - today).days if task.due_on else None
        task.days_overdue = -task.days_left if task.days_left is not None else None
    # Each tab's count, up to what its pages reach: the listed tab's is the
    # pages' own unless the filters or the search narrowed them.
    narrowed = any(value for name, value in request.GET.items() if name not in ("page", "waiting"))
    counts = {
        tab: count_up_to(rows.order_by(*by_due), MY_TASKS_CAP + 1, in_order=True)
        for tab, rows in (("ready", ready), ("waiting", waiting_tasks))
        if narrowed or tab != ("waiting" if waiting else "ready")
    }
    counts.setdefault("waiting" if waiting else "ready", page.paginator.count)
    context = {
        "page": page,
        "tasks": page.object_list,
        "waiting": waiting,
        "ready_count": counts["ready"],
        "waiting_count": counts["waiting"],
        "cap": MY_TASKS_CAP,
        "search": search,
    }
    return render(request, "tasks/my_tasks.html", context)


@require_http_methods(["GET", "POST"])
@login_required
def supply(request, pk):
    """The replacement supply recorded from its task (先通水后关停): the
    unit that holds it, or the bureau on its behalf, with the date and the
    evidence, through :func:`tasks.services.complete_task`."""
    task = get_object_or_404(
        Task.objects.visible_to(request.user).filter(step=Step.SUPPLY).select_related("well", "unit"), pk=pk
    )
    if not Task.objects.completable_by(request.user).filter(pk=task.pk).exists():
        raise PermissionDenied
    if not Task.objects.ready().filter(pk=task.pk).exists():
        messages.warning(request, _("The replacement supply of this well is already recorded."))
        return redirect("wells:well", code=task.well.code)
    status = 200
    if request.method == "POST":
        form = SupplyForm(request.POST, request.FILES, task=task)
        if form.is_valid() and submit_or_refuse(form, request.user) is not None:
            messages.success(
                request,
                _("The replacement supply of %(well)s is recorded as connected on %(date)s.")
                % {"well": task.well.code, "date": form.cleaned_data["supply_connected_on"].isoformat()},
            )
            return redirect("wells:well", code=task.well.code)
        status = 400
    else:
        form = SupplyForm(task=task, initial={"supply_connected_on": timezone.localdate()})
    context = {"task": task, "well": task.well, "form": form}
    return render(request, "tasks/supply_form.html", context, status=status)


@require_GET
@login_required
def overview(request):
    """The bureau's (and leaders') view of the work ledger: each unit's open
    and overdue tasks, the campaign's milestones, the wells due for 回头看."""
    if not request.user.reads_bureau_subtree:
        raise PermissionDenied
    tasks = Task.objects.visible_to(request.user)
    wells = Well.objects.visible_to(request.user)
    context = {
        "units": task_overview(tasks),
        "milestones": Phase.objects.filter(campaign__in=Campaign.objects.visible_to(request.user))
        .select_related("campaign")
        .order_by("campaign", "order"),
        "inspections_due": inspections_due(wells).select_related("township", "responsible_unit")[:50],
    }
    return render(request, "tasks/overview.html", context)


@login_required
def notifications(request):
    """The user's own notifications, newest first; POST marks them all read."""
    mine = Notification.objects.filter(recipient=request.user).select_related("task__well").order_by("-sent_on", "-pk")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("tasks:notifications")
    page = BoundedPaginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tasks/notifications.html", {"page": page, "notifications": page.object_list})
