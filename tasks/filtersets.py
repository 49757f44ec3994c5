"""The task list's filters, shared by the API and the pages."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from accounts.models import Unit
from tasks.choices import Step, TaskStatus
from tasks.models import Task
from wells.filtersets import KeyChoiceFilter, reached
from wells.models import Campaign, Well


class TaskFilterSet(filters.FilterSet):
    unit = KeyChoiceFilter(queryset=reached(Unit), label=_("unit"))
    # Columns of the task itself: no join that could repeat a task, so no
    # DISTINCT (django-filter's default for a multiple choice), which sorted
    # every matching task before the first page (?step=seal 3.4 s at a
    # million wells).
    status = filters.MultipleChoiceFilter(choices=TaskStatus.choices, distinct=False, label=_("status"))
    step = filters.MultipleChoiceFilter(choices=Step.choices, distinct=False, label=_("step"))
    overdue = filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    due_before = filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("due on or before"))
    well = KeyChoiceFilter(queryset=Well.objects.all(), to_field_name="code", label=_("well code"))
    campaign = KeyChoiceFilter(field_name="well__campaign", queryset=reached(Campaign), label=_("campaign"))

    class Meta:
        model = Task
        fields = ["unit", "status", "step", "overdue", "due_before", "well", "campaign"]

    def filter_overdue(self, queryset, name, value):
        today = timezone.localdate()
        if value:
            return queryset.overdue(today)
        # The condition negated in place: NOT (pk IN (the overdue tasks)),
        # which PostgreSQL cannot plan as an anti-join, took 155 s at a
        # million wells.
        return queryset.exclude(status=TaskStatus.OPEN, due_on__lt=today)
