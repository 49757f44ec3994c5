"""The ledger's filters, written once. The API's well list, the HTML list,
the Excel export and the dashboard figures all filter through
:class:`WellFilterSet`, so a link's query string means the same thing
everywhere (DESIGN §5 names the parameters: contract)."""

import operator
from functools import reduce

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.models import Division, Unit
from wellclosure.widgets import LongSelect
from wells.choices import Category, InspectionResult, Status, Use
from wells.models import SEARCHED_FIELDS, Campaign, Inspection, Township, Well, tripled_upper

# Longer text than this in a filter is not a search term but noise; refusing
# it keeps a pasted page from becoming a slow LIKE over the whole ledger.
MAX_TERM_LENGTH = 100

ORDERING_CHOICES = [
    ("code", _("Code")),
    ("-code", _("Code, descending")),
    ("deadline", _("Deadline")),
    ("-deadline", _("Deadline, descending")),
    ("updated_at", _("Last change")),
    ("-updated_at", _("Last change, newest first")),
]


class KeyChoiceField(filters.fields.ModelChoiceField):
    """A choice of one object by its id or code that refuses, before asking
    the database, what no key can be: text with NUL characters (PostgreSQL
    cannot even compare it) or longer than any key. Its choices may be a
    region's townships or units: a :class:`LongSelect`."""

    widget = LongSelect

    def to_python(self, value):
        if isinstance(value, str) and ("\x00" in value or len(value) > MAX_TERM_LENGTH):
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class KeyChoiceFilter(filters.ModelChoiceFilter):
    field_class = KeyChoiceField


def reached(model):
    """A filter's choices: the ``model``'s rows the request's user reads
    (``visible_to``), so that a page's list names none of another bureau's
    and the API answers a neighbour's as a value that does not exist. Pass
    ``request`` to the filterset."""

    def choices(request):
        # Without a request (a script's filterset over a queryset already
        # scoped), every row: the wells it filters are the caller's.
        if request is None:
            return model.objects.all()
        return model.objects.visible_to(request.user)

    return choices


class DivisionCodeField(forms.CharField):
    """An administrative division by its code, typed (a select of every
    township of a region would weigh down each page that shows the
    filters): read from the database only when given."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        division = Division.objects.filter(path=value).first() if value.isascii() and value.isdigit() else None
        if division is None:
            raise ValidationError(_("No administrative division has the code %(code)s.") % {"code": value[:20]})
        return division


@extend_schema_field(OpenApiTypes.STR)
class DivisionFilter(filters.Filter):
    field_class = DivisionCodeField


class StatusFilter(filters.MultipleChoiceFilter):
    """One or more statuses (``status=a&status=b``) as one ``status IN (…)``,
    which the indexes that hold the status serve as ranges; django-filter's
    own filter ORs an equality per value, which they cannot."""

    def filter(self, qs, value):
        if not value:
            return qs
        return self.get_method(qs)(**{f"{self.field_name}__in": sorted(set(value))})


class WellFilterSet(filters.FilterSet):
    """Every filter of the well list (DESIGN §5) and its ordering."""

    campaign = KeyChoiceFilter(label=_("Campaign"), queryset=reached(Campaign))
    township = KeyChoiceFilter(label=_("Township or street"), queryset=reached(Township), to_field_name="code")
    # An addition to DESIGN §5: the wells whose township lies in this
    # administrative division (its code, 2 to 9 digits: 6523, 652301) or below.
    division = DivisionFilter(
        label=_("Administrative division"),
        method="filter_division",
        max_length=12,
        help_text=_("A division's code (65, 6523, 652301, 652301005): the wells of its townships and below."),
    )
    unit = KeyChoiceFilter(label=_("Responsible unit"), field_name="responsible_unit", queryset=reached(Unit))
    status = StatusFilter(label=_("Status"), choices=Status.choices)
    category = filters.ChoiceFilter(label=_("Category"), choices=Category.choices)
    use = filters.ChoiceFilter(label=_("Use"), choices=Use.choices, method="filter_use")
    overdue = filters.ChoiceFilter(
        label=_("Overdue"),
        choices=[("true", _("Yes")), ("false", _("No"))],
        method="filter_overdue",
        help_text=_("true: past the deadline and neither accepted nor retained; false: all others."),
    )
    deadline_after = filters.DateFilter(
        label=_("Deadline on or after"), field_name="deadline", lookup_expr="gte", help_text=_("YYYY-MM-DD")
    )
    deadline_before = filters.DateFilter(
        label=_("Deadline on or before"), field_name="deadline", lookup_expr="lte", help_text=_("YYYY-MM-DD")
    )
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=MAX_TERM_LENGTH,
        help_text=_("Part of the well code, the owner's name or the village."),
    )
    archived = filters.ChoiceFilter(
        label=_("Archived"),
        choices=[("true", _("Yes")), ("false", _("No"))],
        method="filter_archived",
        help_text=_("true: the archived wells instead of the wells in the work (bureau roles)."),
    )
    ordering = filters.ChoiceFilter(label=_("Order by"), choices=ORDERING_CHOICES, method="order")

    class Meta:
        model = Well
        fields = []

    def filter_archived(self, queryset, name, value):
        # The list starts from the archive already (ledger_wells); this only
        # keeps a queryset that started elsewhere from mixing the two.
        return queryset.filter(archived_at__isnull=value != "true")

    def filter_division(self, queryset, name, value):
        # Over the wells or over the well tally (wells.tally.figures).
        return queryset.filter(township__division__path__startswith=value.path)

    def filter_use(self, queryset, name, value):
        return queryset.with_use(value)

    def filter_overdue(self, queryset, name, value):
        # Over the wells or over the well tally (wells.tally.figures).
        return queryset.overdue() if value == "true" else queryset.not_overdue()

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        found = Q(code__icontains=value) | Q(owner_name__icontains=value) | Q(village__icontains=value)
        if len(value) < 3 and connections[queryset.db].vendor == "postgresql":
            # Too short for the trigram indexes: ask the indexes of the tripled
            # text too (wells.models.tripled_upper), which hold the same rows.
            tripled = "".join(character * 3 for character in value.upper())
            queryset = queryset.alias(
                **{f"{field}_x3": tripled_upper(field) for field, _short in SEARCHED_FIELDS}
            ).filter(
                reduce(operator.or_, (Q(**{f"{field}_x3__contains": tripled}) for field, _short in SEARCHED_FIELDS))
            )
        return queryset.filter(found)

    def order(self, queryset, name, value):
        return queryset.order_by(value)


def ledger_wells(user, query):
    """The wells a ledger list, export or figure starts from: those in the
    work that ``user`` sees, or the archived ones when the ``query`` asks
    for ``archived=true`` (bureau roles; nobody else sees the archive)."""
    return Well.objects.visible_to(user, archived=query.get("archived") == "true")


class InspectionFilterSet(filters.FilterSet):
    """Filters of the inspection list."""

    well = filters.CharFilter(
        label=_("Well code"), field_name="well__code", max_length=Well._meta.get_field("code").max_length
    )
    result = filters.ChoiceFilter(label=_("Result"), choices=InspectionResult.choices)
    inspected_after = filters.DateFilter(label=_("Inspected on or after"), field_name="inspected_on", lookup_expr="gte")
    inspected_before = filters.DateFilter(
        label=_("Inspected on or before"), field_name="inspected_on", lookup_expr="lte"
    )

    class Meta:
        model = Inspection
        fields = []
