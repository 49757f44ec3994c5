"""Two guards every request passes (docs/security.md, "Bodies and caches").

``RequestBodyLimitMiddleware`` refuses a body over ``MAX_REQUEST_BODY_BYTES``
with 413 before anything reads it; ``NoStoreMiddleware`` keeps every answer
the application makes out of browser and proxy caches. Static files are
WhiteNoise's, which answers them before the second guard and keeps their
long cache."""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _


class RequestBodyTooLarge(RequestDataTooBig):
    """Something read a request body past ``MAX_REQUEST_BODY_BYTES``."""


class CappedInput:
    """A WSGI input stream that cannot be read past ``limit`` bytes: the read
    that would cross it takes at most one byte more and raises
    :class:`RequestBodyTooLarge` (and remembers it, for the middleware to
    answer 413 whatever the reader made of the exception)."""

    def __init__(self, stream, limit):
        self._stream = stream
        self.limit = limit
        self.position = 0
        self.exceeded = False

    def _take(self, data):
        self.position += len(data)
        if self.position > self.limit:
            self.exceeded = True
            raise RequestBodyTooLarge(f"The request body is over the limit of {self.limit} bytes.")
        return data

    def _size(self, size):
        allowed = self.limit - self.position + 1
        return allowed if size is None or size < 0 else min(size, allowed)

    def read(self, size=-1, /):
        return self._take(self._stream.read(self._size(size)))

    def readline(self, size=-1, /):
        return self._take(self._stream.readline(self._size(size)))

    def readlines(self, hint=-1, /):
        return list(iter(self.readline, b""))

    def __iter__(self):
        return iter(self.readline, b"")


def declared_length(request):
    """The body's length as the client declared it, or None (no length, as
    with ``Transfer-Encoding: chunked``, or one that is not a number)."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def too_large(request, limit):
    """413 with the reason: JSON ``{"detail": …}`` for the API, a plain
    message for pages, in the visitor's language (this runs before the
    locale middleware)."""
    with translation.override(translation.get_language_from_request(request)):
        message = _(
            "The request is too large: at most %(limit)s can be sent at once. "
            "Make the file smaller or send fewer files, and try again."
        ) % {"limit": filesizeformat(limit)}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message}, status=413)
    else:
        response = HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    add_never_cache_headers(response)
    return response


class RequestBodyLimitMiddleware:
    """Answer 413 to a request whose declared body is over
    ``MAX_REQUEST_BODY_BYTES``, before any byte of it is read: anonymous or
    signed in, whatever the address (Django would otherwise stream a file
    upload to disk before the view could refuse it).

    A body without a declared length (chunked) is not read by Django at all
    under WSGI; the input stream is capped all the same, so that nothing that
    reads it directly gets past the limit, and such a read ends as 413, never
    as a server error."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        length = declared_length(request)
        if length is not None and length > limit:
            return too_large(request, limit)
        stream = request.META.get("wsgi.input")
        capped = None
        if stream is not None:
            capped = request.META["wsgi.input"] = CappedInput(stream, limit)
        try:
            response = self.get_response(request)
        except RequestBodyTooLarge:
            return too_large(request, limit)
        if capped is not None and capped.exceeded:
            return too_large(request, limit)
        return response


class NoStoreMiddleware:
    """``Cache-Control: no-store`` (Django's ``never_cache`` headers) on every
    response the application makes: pages, API answers and downloads hold
    wells, people and evidence that a shared browser or a proxy must not
    keep. It sits after WhiteNoise, which answers static files itself with
    their long cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response
