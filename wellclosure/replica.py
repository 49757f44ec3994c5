"""Reads that may come from a PostgreSQL streaming replica (DESIGN §9).

The dashboards, the summary and the exports read a lot and write nothing:
with ``DATABASE_REPLICA_URL`` set they read from the ``replica`` database
(``settings.REPLICA_DATABASE``), everything else from the primary. A
replica lags its primary by a little (usually milliseconds, seconds under
load), so whoever has just written reads from the primary for the next
``REPLICA_PIN_SECONDS``: a successful write (POST, PUT, PATCH, DELETE) sets
a cookie until then, and a request that carries it never reads the
replica — the writer sees their own change, after django-multidb-router's
pinning. Without a replica everything reads the primary, as before.

- :class:`ReplicaRouter`: Django's database router. Writes, migrations
  and reads inside a transaction stay on the primary.
- :func:`reads_from_replica` (a page) and :class:`ReplicaReadsMixin` (an
  API view): a view whose reads may be served by the replica (the
  dashboard, the summary, the exports, the work report).
- :class:`PinToPrimaryMiddleware`: sets and reads the writer's cookie.
"""

import contextvars
import functools
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

# Whether the current request's reads may go to the replica.
_replica_reads = contextvars.ContextVar("replica_reads", default=False)
PIN_COOKIE = "primary_until"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def replica_alias():
    """The replica's alias, or None when none is configured."""
    return getattr(settings, "REPLICA_DATABASE", None)


class ReplicaRouter:
    """Reads of views marked :func:`reads_from_replica` go to the replica,
    unless the request is pinned to the primary or a transaction is open on
    it (whose reads must see its own writes); everything else goes to the
    primary."""

    def db_for_read(self, model, **hints):
        alias = replica_alias()
        if alias is None or not _replica_reads.get():
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return alias

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: the same database.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


def _pinned(request):
    try:
        return float(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False


def reads_from_replica(view):
    """Let ``view`` (a function or a class-based view's ``dispatch``) read
    from the replica, unless its request is pinned to the primary."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        request = next(arg for arg in args if hasattr(arg, "COOKIES"))
        allowed = request.method == "GET" and not _pinned(request)
        # Who is asking is read from the primary, first: someone who has
        # just signed in (or been given a role) is not yet on the replica.
        user = getattr(request, "user", None)
        getattr(user, "role", None)
        token = _replica_reads.set(allowed)
        try:
            response = view(*args, **kwargs)
        finally:
            _replica_reads.reset(token)
        if allowed and getattr(response, "streaming", False):
            # A streamed export reads as it is sent, after the view returned.
            response.streaming_content = _reading_from_replica(response.streaming_content)
        return response

    return wrapped


def _reading_from_replica(chunks):
    """``chunks``, each made in a context of its own whose reads may go to
    the replica. The flag is never set around the ``yield``: a stream left
    half-sent is closed whenever Python collects it, perhaps in the middle
    of another request, which setting the flag back would send to the
    primary (or, while the stream waits, send the next request's reads to
    the replica)."""
    context = contextvars.copy_context()
    context.run(_replica_reads.set, True)
    iterator = iter(chunks)
    try:
        while True:
            try:
                chunk = context.run(next, iterator)
            except StopIteration:
                return
            yield chunk
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            context.run(close)


class ReplicaReadsMixin:
    """For a DRF view: its GETs may read from the replica, once the caller
    is authenticated (on the primary: a token just issued is not yet on the
    replica), unless the request is pinned to the primary."""

    _replica_token = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "GET" and not _pinned(request):
            self._replica_token = _replica_reads.set(True)

    def finalize_response(self, request, response, *args, **kwargs):
        if self._replica_token is not None:
            _replica_reads.reset(self._replica_token)
            self._replica_token = None
            if getattr(response, "streaming", False):
                response.streaming_content = _reading_from_replica(response.streaming_content)
        return super().finalize_response(request, response, *args, **kwargs)


class PinToPrimaryMiddleware:
    """After a successful write, the writer's next reads come from the
    primary for ``REPLICA_PIN_SECONDS`` (a cookie, so that any node behind
    the proxy knows it). Does nothing without a replica."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if replica_alias() is not None and request.method in WRITE_METHODS and response.status_code < 400:
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE,
                f"{time.time() + seconds:.3f}",
                max_age=seconds,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
