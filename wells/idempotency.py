"""``Idempotency-Key`` on the API's writes (DESIGN §7: the phone's offline
queue sends each change once, whatever the network does).

A write sent with the header is applied at most once per key and user: the
first request's answer (status and body) is stored with the key in the
same transaction as the change itself, so that a retry after a lost answer
is answered from the store without reaching the door again. The same key
with another request is refused (422). Two requests with one key at once:
the unique constraint makes the second wait for the first's transaction,
then answer the first's stored answer.

Only successful answers are stored: a refused change (400, 409) changed
nothing, rolls back with its key, and may be sent again with the same key.
Keys are kept ``IDEMPOTENCY_KEY_DAYS`` days (``clear_expired``, run daily by
``manage.py clear_idempotency_keys``)."""

import datetime
import functools
import hashlib
import json
import re

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.renderers import JSONRenderer

from wells.models import IdempotentRequest

HEADER = "Idempotency-Key"
# A UUID, or any key a client makes of letters, digits and -_.:
KEY_PATTERN = re.compile(r"[A-Za-z0-9_.:-]{8,100}", re.ASCII)


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def fingerprint(request):
    """SHA-256 of the request as the API read it: method, path and data,
    files by their contents."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    data = request.data
    if hasattr(data, "lists"):
        items = {name: [_value(value) for value in values] for name, values in data.lists()}
    else:
        items = data
    digest.update(json.dumps(items, sort_keys=True, default=str, ensure_ascii=False).encode())
    return digest.hexdigest()


def _value(value):
    if isinstance(value, UploadedFile):
        content = hashlib.sha256()
        for chunk in value.chunks():
            content.update(chunk)
        value.seek(0)
        return f"file:{content.hexdigest()}"
    return value


def _replay(record, request_fingerprint):
    if record.fingerprint != request_fingerprint:
        raise KeyReused(
            _(
                "This Idempotency-Key was already used for another request. "
                "Send a new key with each new change (the same key only to resend the same change)."
            )
        )
    response = HttpResponse(record.body, status=record.status, content_type="application/json")
    response["Idempotency-Replayed"] = "true"
    return response


def _stored(user, key):
    return IdempotentRequest.objects.filter(user=user, key=key).first()


def answer_once(request, handler):
    """Answer ``request`` by calling ``handler()`` at most once per
    ``Idempotency-Key``; without the header, just call it."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    if not KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            {"detail": _("The Idempotency-Key must be 8 to 100 letters, digits or the characters - _ . :")}
        )
    user = request.user
    request_fingerprint = fingerprint(request)
    record = _stored(user, key)
    if record is not None:
        return _replay(record, request_fingerprint)
    try:
        with transaction.atomic():
            # First, so that a second request with this key waits here for
            # this transaction, then finds the key taken.
            record = IdempotentRequest.objects.create(
                user=user, key=key, fingerprint=request_fingerprint, status=0, body=""
            )
            response = handler()
            if not status.is_success(response.status_code):
                transaction.set_rollback(True)
                return response
            record.status = response.status_code
            record.body = JSONRenderer().render(response.data).decode()
            record.save(update_fields=["status", "body"])
            return response
    except IntegrityError:
        record = _stored(user, key)
        if record is None:
            raise
        return _replay(record, request_fingerprint)


def idempotent(method):
    """Decorate a viewset's write (``self, request, …``) so that it honours
    the ``Idempotency-Key`` header. Reads pass through."""

    @functools.wraps(method)
    def wrapper(self, request, *args, **kwargs):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return method(self, request, *args, **kwargs)
        return answer_once(request, lambda: method(self, request, *args, **kwargs))

    return wrapper


def clear_expired(now=None):
    """Delete the keys older than ``IDEMPOTENCY_KEY_DAYS``; return how many."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.IDEMPOTENCY_KEY_DAYS)
    deleted, _by_model = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
