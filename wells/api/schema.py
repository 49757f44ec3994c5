"""The OpenAPI schema declares every error an operation can answer, not
only its success: clients (and the schemathesis run in the tests) rely on
it. The rules follow :mod:`wells.api.exceptions` and the permissions."""

from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from rest_framework import permissions, serializers


class ErrorSerializer(serializers.Serializer):
    """``{"detail": message}``, plus the ``field`` the message is about where
    the workflow names one."""

    detail = serializers.CharField()
    field = serializers.CharField(required=False)


# A 400 carries either {"detail", "field"} from the workflow or DRF's
# field-keyed messages ({"field": ["message", …]}, nested for lists).
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": "Field-keyed messages, {field: [message, …]}, or {detail, field} for a refused action.",
    "additionalProperties": {},
}

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class LedgerAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code, description in self.error_responses():
            if code in responses:
                continue
            body = VALIDATION_ERROR_SCHEMA if code == "400" else ErrorSerializer
            responses[code] = self._get_response_for_code(body, code, ["application/json"], direction)
            responses[code]["description"] = description
        return responses

    def error_responses(self):
        """(status, description) of each error this operation can answer."""
        errors = []
        takes_input = (
            self.method in WRITE_METHODS
            or self.get_filter_backends()
            or (self._is_list_view() and self._get_paginator())
        )
        if takes_input:
            errors.append(("400", _("Invalid input, or the action was refused (the reason is in detail).")))
        perms = [permission.__class__ for permission in self.view.get_permissions()]
        if permissions.AllowAny not in perms:
            errors.append(("401", _("Not signed in: send Authorization: Token …, or a session cookie.")))
            errors.append(("403", _("Your role may not do this.")))
        if "{" in self.path:
            errors.append(("404", _("No such object, or not in your scope.")))
        if self.method in WRITE_METHODS and self.get_request_serializer() is not None:
            errors.append(("415", _("Unsupported media type.")))
        return errors
