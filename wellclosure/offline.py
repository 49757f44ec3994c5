"""The field pages as an installable web app (DESIGN §7, contract paths):
the manifest at ``/manifest.webmanifest``, the service worker at ``/sw.js``
(root scope), the queue page, and which pages a phone may keep.

The service worker (templates/offline/sw.js) keeps a copy of a page only
when the answer says so with ``X-Offline-Keep`` (:func:`keep_offline`): the
township officer's own pages — 我的机井, their wells' pages and the forms
of what they may record there. Nothing else is kept: no other role's page,
no API answer. The header carries the officer's id, so that a phone signed
in by someone else drops the copy before keeping a page of theirs; signing
out clears it all (accounts.views.LogoutView, ``Clear-Site-Data``).

The worker's cache is named by a hash of the files it keeps and of its own
template: a change of either is a new worker, which drops the old copy."""

import functools
import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import JsonResponse
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.choices import Role
from wells.choices import Status

KEEP_HEADER = "X-Offline-Keep"
# The static files every kept page needs, stored when the worker installs.
PRECACHED = (
    "wells/site.css",
    "wells/site.js",
    "wells/offline.js",
    "wells/icons/icon-192.png",
    "wells/icons/icon-512.png",
    "wells/icons/icon-maskable-512.png",
    "wells/icons/apple-touch-icon.png",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/leaflet.js",
)
THEME_COLOUR = "#12355b"


def keeps_offline(user):
    """Whose pages a phone keeps: a township officer's (DESIGN §7)."""
    return getattr(user, "role", None) == Role.TOWNSHIP_OFFICER


def keep_offline(view):
    """Mark a page view's successful GET answers to a township officer as
    pages the phone keeps for working without signal."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if request.method == "GET" and response.status_code == 200 and keeps_offline(request.user):
            response[KEEP_HEADER] = str(request.user.pk)
        return response

    return wrapper


@require_GET
def manifest(request):
    """The web app manifest: what the phone installs (添加到主屏幕)."""
    data = {
        "name": _("Well closure ledger"),
        "short_name": _("Well ledger"),
        "description": _("The ledger of groundwater wells to close, for the field and the office."),
        "lang": "zh-CN",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("wells/icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("wells/icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("wells/icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False, "indent": 1}
    )


def _worker_version():
    """A hash of the kept static files and of the worker's template."""
    digest = hashlib.sha256()
    template = get_template("offline/sw.js")
    digest.update(template.template.source.encode())
    for name in PRECACHED:
        digest.update(static(name).encode())
        path = finders.find(name)
        if path:
            with open(path, "rb") as file:
                digest.update(file.read())
    return digest.hexdigest()[:16]


if not settings.DEBUG:
    _worker_version = functools.cache(_worker_version)


@require_GET
def service_worker(request):
    """The service worker, at the root so that its scope is the whole site."""
    fallback = render(
        request,
        "offline/fallback.html",
        {"mine_url": reverse("wells:mine"), "queue_url": reverse("offline-queue")},
    ).content.decode()
    context = {
        "version": _worker_version(),
        "precache": json.dumps([static(name) for name in PRECACHED]),
        "fallback": json.dumps(fallback, ensure_ascii=False),
        "keep_header": json.dumps(KEEP_HEADER),
        "mine_url": json.dumps(reverse("wells:mine")),
    }
    response = render(request, "offline/sw.js", context, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@require_GET
@login_required
@keep_offline
def queue(request):
    """What waits on this phone to be sent (待上传), read from the phone's
    own store by the page's script: the server holds none of it."""
    return render(request, "offline/queue.html")


def strings(request):
    """A context processor: the words the pages' offline script shows
    (wells/static/wells/offline.js reads them from the page), translated."""
    if not getattr(request, "user", None) or not request.user.is_authenticated:
        return {}
    return {
        "offline_strings": {
            "statuses": dict(Status.choices),
            "queued": gettext_lazy("Saved on this phone: it is sent when the connection returns."),
            "sent": gettext_lazy("Sent"),
            "waiting": gettext_lazy("Waiting"),
            "sending": gettext_lazy("Sending…"),
            "refused": gettext_lazy("Refused"),
            "after": gettext_lazy("Waits for the change before it"),
            "resend": gettext_lazy("Send again"),
            "discard": gettext_lazy("Discard"),
            "confirmDiscard": gettext_lazy("Discard this change? What you typed is lost."),
            "confirmLogout": gettext_lazy(
                "Some changes recorded on this phone are not sent yet. Signing out deletes them. Sign out anyway?"
            ),
            "recordedAt": gettext_lazy("Recorded"),
            "version": gettext_lazy("made against version"),
            "offlineNote": gettext_lazy("(recorded without signal at %(time)s)"),
            "signIn": gettext_lazy("Sign in again to send: the sign-in has ended."),
            "noSignal": gettext_lazy("No connection: it will be sent later."),
            "current": gettext_lazy(
                "The well now: version %(version)s, %(status)s. Check the values, then send again."
            ),
            "photo": gettext_lazy("photo"),
            "pending": gettext_lazy("waiting to be sent"),
            "badStatus": gettext_lazy("The ledger answered %(status)s."),
        }
    }
