"""Photos tell the truth: where a JPEG carries EXIF position and time, the
ledger compares them with the well's recorded location and the date of the
action the photo documents (a seal's ``sealed_on``, an inspection's
``inspected_on``), and flags a photo taken more than 200 m away or on
another day. A flag is a warning on the well's page and in the API, never a
refusal: phones without GPS, or with the clock wrong, are common in the
field, and the bureau decides what a warning means."""

import datetime
import io
import logging
import math
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ExifTags, Image, ImageOps

from wellclosure.validators import EARLIEST_DATE, LATEST_DATE
from wells.choices import Action, AttachmentKind

logger = logging.getLogger(__name__)

# Farther than this from the well's recorded location, a photo is flagged.
MAX_DISTANCE_M = 200
EARTH_RADIUS_M = 6_371_008.8
_COORDINATE = Decimal("0.000001")
# A phone's clock may run a little ahead of the server's.
CLOCK_SLACK = datetime.timedelta(minutes=10)


@dataclass(frozen=True)
class PhotoFacts:
    """What a photo's EXIF says: WGS84 position and the moment it was taken
    (each None when the photo does not say)."""

    lat: Decimal | None = None
    lng: Decimal | None = None
    taken_at: datetime.datetime | None = None


def read_photo_facts(upload):
    """Read EXIF GPS position and DateTimeOriginal from an uploaded JPEG.
    A photo whose EXIF is missing, broken or hostile has no facts: reading
    them never refuses an upload. A value no camera could have meant (a
    position off the globe, a moment outside the ledger's years) is
    dropped with a logged warning, like any input that fails its check."""
    try:
        upload.seek(0)
        with Image.open(upload, formats=["JPEG"]) as image:
            exif = image.getexif()
            gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
            details = exif.get_ifd(ExifTags.IFD.Exif)
            lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), limit=90)
            lng = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), limit=180)
            taken_at = _moment(
                details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime),
                details.get(ExifTags.Base.OffsetTimeOriginal),
            )
    except Exception:  # EXIF is the uploader's data: whatever is wrong with it, the photo has no facts.
        logger.info("Unreadable EXIF in %r", getattr(upload, "name", ""), exc_info=True)
        return PhotoFacts()
    finally:
        upload.seek(0)
    if lat is None or lng is None:
        lat = lng = None
    return PhotoFacts(lat=lat, lng=lng, taken_at=taken_at)


def photo_facts_or_claimed(facts, claimed):
    """The file's own ``facts``, with what ``claimed`` (the phone's reading
    of the EXIF before it shrank the photo) says where the file says
    nothing: the position as a pair, the time by itself."""
    lat, lng = (facts.lat, facts.lng) if facts.lat is not None else (claimed.lat, claimed.lng)
    return PhotoFacts(lat=lat, lng=lng, taken_at=facts.taken_at or claimed.taken_at)


def claimed_facts(*, lat=None, lng=None, taken_at=None):
    """The photo facts a phone sent beside a photo (the fields ``exif_lat``,
    ``exif_lng``, ``exif_taken_at``), checked as the EXIF reader checks
    what it reads; raises ``ValidationError`` keyed by field."""
    errors = {}
    if (lat is None) != (lng is None):
        missing = "exif_lng" if lng is None else "exif_lat"
        errors[missing] = _("Give both the photo's latitude and longitude, or neither.")
    for name, value, limit in (("exif_lat", lat, 90), ("exif_lng", lng, 180)):
        if value is not None and not (math.isfinite(value) and abs(value) <= limit):
            errors[name] = _("A position lies within %(limit)d degrees.") % {"limit": limit}
    if taken_at is not None:
        if timezone.is_naive(taken_at):
            taken_at = timezone.make_aware(taken_at, timezone.get_default_timezone())
        if not EARLIEST_DATE <= taken_at.date() <= LATEST_DATE:
            errors["exif_taken_at"] = _("The time the photo was taken lies outside the ledger's years.")
        elif taken_at > timezone.now() + CLOCK_SLACK:
            errors["exif_taken_at"] = _("The time the photo was taken cannot be in the future.")
    if errors:
        raise ValidationError(errors)
    if lat is None and taken_at is None:
        return None
    if lat is not None:
        lat, lng = (Decimal(str(value)).quantize(_COORDINATE) for value in (lat, lng))
    return PhotoFacts(lat=lat, lng=lng, taken_at=taken_at)


def _degrees(value, reference, *, limit):
    """EXIF (degrees, minutes, seconds) rationals and N/S/E/W as signed
    decimal degrees, or None."""
    if not value or len(value) != 3 or reference not in ("N", "S", "E", "W"):
        return None
    degrees, minutes, seconds = (float(part) for part in value)
    if not all(math.isfinite(part) and part >= 0 for part in (degrees, minutes, seconds)):
        return None
    result = degrees + minutes / 60 + seconds / 3600
    if reference in ("S", "W"):
        result = -result
    if abs(result) > limit:
        logger.warning("EXIF GPS value %r %s dropped: beyond %d degrees", value, reference, limit)
        return None
    return Decimal(str(result)).quantize(_COORDINATE)


def _moment(value, offset):
    """EXIF "YYYY:MM:DD HH:MM:SS" as an aware datetime: in the offset the
    camera wrote, or else in the site's time zone (where the bureau's
    phones are). None when the photo does not say, and when it says a
    moment outside the ledger's years: near the ends of Python's range
    (9999-12-31 23:59:59 at -14:00) it cannot even be turned into UTC or
    Shanghai time, and a stored one broke every page that showed it."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.datetime.strptime(value.strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    if not EARLIEST_DATE <= moment.date() <= LATEST_DATE:
        logger.warning("EXIF date %r dropped: outside %s to %s", value, EARLIEST_DATE, LATEST_DATE)
        return None
    if isinstance(offset, str):
        try:
            zone = datetime.datetime.strptime(offset.strip("\x00 "), "%z").tzinfo
            return moment.replace(tzinfo=zone)
        except ValueError:
            pass
    return timezone.make_aware(moment, timezone.get_default_timezone())


def distance_m(lat1, lng1, lat2, lng2):
    """The great-circle (haversine) distance in metres between two WGS84
    points."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    d_phi = phi2 - phi1
    d_lambda = math.radians(float(lng2) - float(lng1))
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def photo_warning(attachment, well, day=None):
    """The warning for a photo of ``well`` documenting something done on
    ``day`` (None: not known yet), or "" when its EXIF agrees or says
    nothing."""
    problems = []
    if attachment.exif_lat is not None and well.lat is not None and well.lng is not None:
        distance = distance_m(attachment.exif_lat, attachment.exif_lng, well.lat, well.lng)
        if distance > MAX_DISTANCE_M:
            problems.append(
                _("Taken %(distance)s from the well's recorded location (more than %(limit)d m).")
                % {"distance": _distance_text(distance), "limit": MAX_DISTANCE_M}
            )
    if attachment.exif_taken_at is not None and day is not None:
        taken_on = timezone.localtime(attachment.exif_taken_at, timezone.get_default_timezone()).date()
        if taken_on != day:
            problems.append(
                _("Taken on %(taken)s, not on the day it documents (%(day)s).")
                % {"taken": taken_on.isoformat(), "day": day.isoformat()}
            )
    return " ".join(problems)


def _distance_text(metres):
    return f"{metres / 1000:.1f} km" if metres >= 1000 else f"{metres:.0f} m"


def check_photos(attachments, well, day):
    """Flag the photos among ``attachments`` taken away from ``well`` or on
    another day than ``day``, the date of what they document."""
    for attachment in attachments:
        if attachment.kind != AttachmentKind.PHOTO:
            continue
        warning = photo_warning(attachment, well, day)
        if warning != attachment.warning:
            attachment.warning = warning
            attachment.save(update_fields=["warning"])


def check_sealing_photos(well, event):
    """A workflow follow-up (``wells.workflow.extend``): the photos of a
    seal against its ``sealed_on``."""
    if event.action != Action.SEAL or not event.data.get("sealed_on"):
        return
    day = datetime.date.fromisoformat(event.data["sealed_on"])
    check_photos(event.attachments.all(), well, day)


# Thumbnails ---------------------------------------------------------------------
#
# A phone photo is several megabytes; a well's page shows each at 96 px and a
# viewer at screen size. The thumbnails are JPEG files stored beside the
# original with a suffix ("….jpg.320.jpg"), made when the photo is uploaded
# and, for photos stored before, the first time one is asked for. They are
# served through the same scope-checked view as the original.

THUMBNAIL_SIZES = {"small": 320, "large": 1280}
THUMBNAIL_CONTENT_TYPES = frozenset({"image/jpeg", "image/png"})


def thumbnail_name(attachment, size):
    return f"{attachment.file.name}.{THUMBNAIL_SIZES[size]}.jpg"


def make_thumbnails(attachment):
    """Write every thumbnail of an image attachment (decoding it once)."""
    if attachment.content_type not in THUMBNAIL_CONTENT_TYPES:
        return
    storage = attachment.file.storage
    with attachment.file.storage.open(attachment.file.name, "rb") as stored, Image.open(stored) as image:
        # A JPEG decodes at a fraction of its size (no 12-megapixel bitmap
        # for a 1,280 px picture); then the phone's orientation is applied.
        image.draft("RGB", (max(THUMBNAIL_SIZES.values()),) * 2)
        image = ImageOps.exif_transpose(image)
        for size, pixels in sorted(THUMBNAIL_SIZES.items(), key=lambda item: -item[1]):
            image.thumbnail((pixels, pixels))
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
            name = thumbnail_name(attachment, size)
            if storage.exists(name):
                storage.delete(name)
            storage.save(name, ContentFile(out.getvalue()))


def thumbnail_file(attachment, size):
    """The stored thumbnail of ``attachment`` at ``size`` (made now if it is
    missing), opened for reading; None for an attachment that is no image."""
    if attachment.content_type not in THUMBNAIL_CONTENT_TYPES or size not in THUMBNAIL_SIZES:
        return None
    storage = attachment.file.storage
    name = thumbnail_name(attachment, size)
    if not storage.exists(name):
        make_thumbnails(attachment)
    return storage.open(name, "rb")


def delete_thumbnails(attachment):
    storage = attachment.file.storage
    for size in THUMBNAIL_SIZES:
        name = thumbnail_name(attachment, size)
        if storage.exists(name):
            storage.delete(name)
