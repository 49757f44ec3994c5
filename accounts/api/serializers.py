from rest_framework import serializers

from accounts.models import Unit


class UnitSerializer(serializers.ModelSerializer):
    """An organisation as the API shows it: ``{id, name, kind}`` (DESIGN §5)."""

    class Meta:
        model = Unit
        fields = ["id", "name", "kind"]
