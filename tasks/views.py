"""Pages of the work ledger."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tasks.filtersets import TaskFilterSet
from tasks.models import Notification, Task
from tasks.services import inspections_due, task_overview
from wells.models import Phase, Well

PAGE_SIZE = 50


@require_GET
@login_required
def my_tasks(request):
    """The open tasks the user sees (a member unit: its own), the earliest
    due first."""
    tasks = (
        Task.objects.visible_to(request.user)
        .open()
        .select_related("well", "unit")
        .order_by(F("due_on").asc(nulls_last=True), "pk")
    )
    # The API's filters (unit, overdue, due_before …) narrow the list too.
    filterset = TaskFilterSet(request.GET, queryset=tasks)
    if filterset.is_valid():
        tasks = filterset.qs
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for task in page.object_list:
        task.days_left = (task.due_on - today).days if task.due_on else None
        task.days_overdue = -task.days_left if task.days_left is not None else None
    return render(request, "tasks/my_tasks.html", {"page": page, "tasks": page.object_list})


@require_GET
@login_required
def overview(request):
    """The bureau's (and leaders') view of the work ledger: each unit's open
    and overdue tasks, the campaign's milestones, the wells due for 回头看."""
    if not request.user.sees_everything:
        raise PermissionDenied
    tasks = Task.objects.visible_to(request.user)
    wells = Well.objects.visible_to(request.user)
    context = {
        "units": task_overview(tasks),
        "milestones": Phase.objects.select_related("campaign").order_by("campaign", "order"),
        "inspections_due": inspections_due(wells).select_related("township", "responsible_unit")[:50],
    }
    return render(request, "tasks/overview.html", context)


@login_required
def notifications(request):
    """The user's own notifications, newest first; POST marks them all read."""
    mine = Notification.objects.filter(recipient=request.user).select_related("task__well")
    if request.method == "POST":
        mine.filter(read_at__isnull=True).update(read_at=timezone.now())
        return redirect("tasks:notifications")
    page = Paginator(mine, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "tasks/notifications.html", {"page": page, "notifications": page.object_list})
