"""Views that answer with the ledger's figures under the well list's filters."""

from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation

from wells import tally


class FilteredFiguresMixin:
    """For a view with the well list's ``filterset_class``: the filtered
    wells, and what to count their figures from (the well tally where it can
    answer: :func:`wells.tally.figures`). Invalid filters answer 400, as the
    list does."""

    def filtered_wells_and_figures(self):
        filterset = self.valid_filterset()
        return filterset.qs, tally.figures(filterset, self.request.user)

    def valid_filterset(self):
        backend = DjangoFilterBackend()
        filterset = backend.get_filterset(self.request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset
