"""The meter watch's JSON (DESIGN §8: the readings' path and answer are
contract). The readings are checked row by row by :mod:`meters.ingest`, not
here: a serializer would refuse the whole batch for one bad row."""

from rest_framework import serializers

from meters.choices import ReadingKind


class ReadingSerializer(serializers.Serializer):
    meter_no = serializers.CharField(max_length=100)
    read_at = serializers.DateTimeField()
    kwh = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class ReadingBatchSerializer(serializers.Serializer):
    """``kind``: what the ``kwh`` figures are, ``register`` (the meter's
    cumulative register) or ``interval`` (the consumption since the meter's
    previous reading)."""

    kind = serializers.ChoiceField(choices=ReadingKind.choices)
    readings = ReadingSerializer(many=True)


class ReadingErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    meter_no = serializers.CharField(required=False)
    field = serializers.CharField()
    message = serializers.CharField()


class ReadingAnswerSerializer(serializers.Serializer):
    stored = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    errors = ReadingErrorSerializer(many=True)


class MonthSerializer(serializers.Serializer):
    month = serializers.CharField()
    kwh = serializers.DecimalField(max_digits=16, decimal_places=2)
    m3 = serializers.DecimalField(max_digits=18, decimal_places=1)


class ConsumptionSerializer(serializers.Serializer):
    well = serializers.CharField()
    meter_no = serializers.CharField()
    m3_per_kwh = serializers.DecimalField(max_digits=6, decimal_places=2)
    coefficient_source = serializers.CharField()
    months = MonthSerializer(many=True)
