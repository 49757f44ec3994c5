"""The meter watch's API (DESIGN §8): the grid company's readings in, and a
well's consumption with its estimated abstraction (以电折水) out."""

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import permissions
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.choices import Role
from meters import watch
from meters.api.serializers import ConsumptionSerializer, ReadingAnswerSerializer, ReadingBatchSerializer
from meters.ingest import BatchError, ingest
from wells.models import Well


def delivers_readings(user):
    """A member of a unit named in ``METER_READING_UNITS`` (the grid
    company): the only ones who post readings."""
    return (
        getattr(user, "role", None) == Role.UNIT_MEMBER
        and user.unit_id is not None
        and user.unit.name in settings.METER_READING_UNITS
    )


class DeliversReadings(permissions.BasePermission):
    def has_permission(self, request, view):
        if not request.user.is_authenticated:
            return False
        if delivers_readings(request.user):
            return True
        raise PermissionDenied(_("Only the grid company's members post meter readings."))


class MeterReadingsView(APIView):
    """A batch of readings from the grid company's system. Good rows are
    stored and bad ones named in ``errors`` side by side; a resent batch
    stores nothing (``duplicates``)."""

    permission_classes = [DeliversReadings]

    @extend_schema(
        summary=gettext_lazy("Post a batch of meter readings"),
        request=ReadingBatchSerializer,
        responses=ReadingAnswerSerializer,
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            result = ingest(data.get("readings"), data.get("kind"))
        except BatchError as error:
            raise ValidationError({error.field or "readings": [error.message]}) from None
        return Response(result.as_dict())


class WellConsumptionView(APIView):
    """A well's electricity per month for the last 12 months and the water
    it stands for (its coefficient × kWh), for whoever sees the well."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary=gettext_lazy("A well's consumption and estimated abstraction"), responses=ConsumptionSerializer
    )
    def get(self, request, code):
        well = get_object_or_404(Well.objects.visible_to(request.user), code=code)
        factor, source = watch.coefficient(well)
        months = watch.monthly(well)
        # Through the serializer, so that the answer is what the schema says
        # (numbers, as every decimal of the API: COERCE_DECIMAL_TO_STRING off).
        answer = {
            "well": well.code,
            "meter_no": well.meter_no,
            "m3_per_kwh": factor,
            "coefficient_source": str(source),
            "months": months,
        }
        return Response(ConsumptionSerializer(answer).data)
