"""One FilterSet per list (NetBox's way): the API's and the pages' alike."""

import django_filters
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from supervision.choices import PatrolState, TicketSource, TicketState
from supervision.models import Patrol, Ticket
from wells.filtersets import reached


class TicketFilterSet(django_filters.FilterSet):
    """DESIGN §8: ``well`` (code), ``source``, ``state``, ``unit``."""

    well = django_filters.CharFilter(field_name="well__code", label=_("well"))
    source = django_filters.ChoiceFilter(choices=TicketSource.choices, label=_("source"))
    state = django_filters.MultipleChoiceFilter(choices=TicketState.choices, label=_("state"))
    unit = django_filters.ModelChoiceFilter(queryset=reached(Unit), label=_("unit"))

    class Meta:
        model = Ticket
        fields = ["well", "source", "state", "unit"]


class PatrolFilterSet(django_filters.FilterSet):
    unit = django_filters.ModelChoiceFilter(queryset=reached(Unit), label=_("unit"))
    state = django_filters.ChoiceFilter(choices=PatrolState.choices, label=_("state"))
    counts = django_filters.BooleanFilter(label=_("counts toward the duty"))

    class Meta:
        model = Patrol
        fields = ["unit", "state", "counts"]
