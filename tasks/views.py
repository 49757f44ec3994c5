"""Pages of the work ledger."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tasks.models import Task

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
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for task in page.object_list:
        task.days_left = (task.due_on - today).days if task.due_on else None
        task.days_overdue = -task.days_left if task.days_left is not None else None
    return render(request, "tasks/my_tasks.html", {"page": page, "tasks": page.object_list})
