"""One exception handler for the API (DESIGN §5): a refused action is 400
with its reason, a role without the right 403, a well out of scope 404, a
stale version 409, each as ``{"detail": message}`` plus the ``field`` where
the workflow names one."""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from wells.workflow import WorkflowError

WORKFLOW_STATUS = {
    WorkflowError.REFUSED: status.HTTP_400_BAD_REQUEST,
    WorkflowError.FORBIDDEN: status.HTTP_403_FORBIDDEN,
    WorkflowError.NOT_FOUND: status.HTTP_404_NOT_FOUND,
    WorkflowError.STALE: status.HTTP_409_CONFLICT,
}


def exception_handler(exc, context):
    if isinstance(exc, WorkflowError):
        set_rollback()
        body = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        return Response(body, status=WORKFLOW_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST))
    if isinstance(exc, DjangoValidationError):
        # A model's clean() or a checker like wells.uploads speaking Django.
        exc = exceptions.ValidationError(as_serializer_error(exc))
    return drf_exception_handler(exc, context)
