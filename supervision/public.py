"""The public's reports (举报, DESIGN §8): anyone, without signing in,
reports a problem (a well in use again, water drawn where it is
forbidden) with a description, photos, a location and, if they wish, a
phone number. Each report becomes a ticket of the problem ledger; its
tracking number shows the state and the bureau's public reply, never the
reporter's details or the internal notes.

Abuse is bounded: a per-address limit (the client address as the sign-in
lockout knows it, :func:`accounts.backends.client_address`), answered 429;
bounded text, photos and their number; and a honeypot field no person
fills in."""

import datetime
import hashlib
import re
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.backends import client_address
from supervision.choices import TicketSource
from supervision.files import store_file
from supervision.models import Ticket
from supervision.workflow import TicketError, open_ticket
from wells.models import CHINA_LAT, CHINA_LNG, Well

# The field a form shows to robots only (hidden from people by the page's style).
HONEYPOT_FIELD = "website"
_PHONE = re.compile(r"\+?[0-9][0-9 -]{5,18}[0-9]", re.ASCII)
RATE_WINDOW = datetime.timedelta(hours=1)


class TooManyReports(TicketError):
    """The address sent more reports than the limit allows in the window."""


def address_key(request):
    """The reporter's address as the ledger keeps it: a keyed hash, enough to
    count their reports and never enough to show who they are."""
    address = client_address(request) or ""
    return hashlib.sha256(f"{settings.SECRET_KEY}:public-report:{address}".encode()).hexdigest()


def refuse_when_over_the_limit(key, now=None):
    now = now or timezone.now()
    recent = Ticket.objects.filter(reporter_address=key, created_at__gte=now - RATE_WINDOW).count()
    if recent >= settings.PUBLIC_REPORTS_PER_HOUR:
        raise TooManyReports(
            _("Too many reports from your address: at most %(limit)s an hour. Please try again later.")
            % {"limit": settings.PUBLIC_REPORTS_PER_HOUR}
        )


def _read_coordinate(data, name, bounds, label):
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip()).quantize(Decimal("0.000001"))
        if not number.is_finite():
            raise ValueError(value)
    except (InvalidOperation, ValueError):
        raise TicketError(_("The %(field)s must be a number.") % {"field": label}, field=name) from None
    if not bounds[0] <= number <= bounds[1]:
        raise TicketError(_("The location must lie in China."), field=name)
    return number


def submit_report(request, data, photos):
    """Make a public report into a ticket; return it. ``data`` holds
    ``description``, ``lat``, ``lng``, optional ``phone`` and ``well`` (a
    code), and the honeypot; ``photos`` the uploaded files. Refuses with
    :class:`TicketError` (or :class:`TooManyReports`), keeping nothing."""
    if str(data.get(HONEYPOT_FIELD) or "").strip():
        raise TicketError(_("The report could not be accepted."), field=HONEYPOT_FIELD)
    key = address_key(request)
    refuse_when_over_the_limit(key)
    photos = list(photos)
    if len(photos) > settings.PUBLIC_REPORT_MAX_PHOTOS:
        raise TicketError(
            _("At most %(limit)s photos per report.") % {"limit": settings.PUBLIC_REPORT_MAX_PHOTOS}, field="photo"
        )
    for photo in photos:
        if photo.size > settings.PUBLIC_REPORT_MAX_PHOTO_BYTES:
            raise TicketError(
                _("The photo “%(name)s” is %(size)s; the limit is %(limit)s.")
                % {
                    "name": photo.name,
                    "size": filesizeformat(photo.size),
                    "limit": filesizeformat(settings.PUBLIC_REPORT_MAX_PHOTO_BYTES),
                },
                field="photo",
            )
    phone = str(data.get("phone") or "").strip()
    if phone and not _PHONE.fullmatch(phone):
        raise TicketError(_("The phone number can hold only digits, spaces and dashes."), field="phone")
    well = None
    code = str(data.get("well") or "").strip()
    if code:
        well = Well.objects.filter(code=code, archived_at__isnull=True).first() if "\x00" not in code else None
        if well is None:
            raise TicketError(_("There is no well with this code."), field="well")
    lat = _read_coordinate(data, "lat", CHINA_LAT, _("latitude"))
    lng = _read_coordinate(data, "lng", CHINA_LNG, _("longitude"))
    if (lat is None) != (lng is None):
        raise TicketError(_("Give both latitude and longitude, or neither."), field="lat")
    if lat is None and well is None:
        raise TicketError(_("Mark the place on the map, or use your position."), field="lat")
    with transaction.atomic():
        ticket = open_ticket(
            source=TicketSource.PUBLIC,
            description=data.get("description"),
            well=well,
            lat=lat,
            lng=lng,
            reporter_phone=phone,
            reporter_address=key,
        )
        try:
            for photo in photos:
                store_file(photo, uploaded_by=None, ticket=ticket, photos_only=True)
        except ValidationError as error:
            raise TicketError(error.messages[0], field="photo") from None
    return ticket


def public_view(ticket):
    """All the public may read of a ticket: its state, the bureau's public
    reply, when it was made, and the history of its states."""
    return {
        "tracking": ticket.tracking,
        "state": ticket.state,
        "state_display": ticket.get_state_display(),
        "reply": ticket.reply,
        "created_at": ticket.created_at,
        "states": [
            {"state": event.to_state, "at": event.created_at}
            for event in ticket.events.order_by("pk")
            if event.from_state != event.to_state or event.action == "open"
        ],
    }
