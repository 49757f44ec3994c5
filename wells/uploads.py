"""Checking uploaded evidence: a file is what its bytes say, not its name;
an image is bounded in pixels before anything decodes it; and an upload
refused at any step keeps nothing (no row, no file)."""

import logging
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image

from wells.models import Attachment
from wells.photos import (
    PhotoFacts,
    make_thumbnails,
    photo_facts_or_claimed,
    photo_warning,
    read_photo_facts,
    thumbnail_file,
)

logger = logging.getLogger(__name__)

# Magic numbers of the formats evidence may take.
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"%PDF-", "application/pdf"),
)


def sniff_content_type(upload):
    """The content type the file's first bytes show, or None."""
    head = upload.read(16)
    upload.seek(0)
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


# Opened in the browser; anything else (PDF, which may carry scripts) is
# downloaded.
INLINE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png"})


def attachment_response(attachment):
    """Stream a stored attachment to someone the caller has found may see
    its well: images inline, everything else as a download, never sniffed.
    A file missing from the store is a logged 404."""
    try:
        stored = attachment.file.open("rb")
    except FileNotFoundError:
        logger.error("Attachment %s is missing from storage: %s", attachment.pk, attachment.file.name)
        raise Http404(_("The file is missing from storage.")) from None
    response = FileResponse(
        stored,
        as_attachment=attachment.content_type not in INLINE_CONTENT_TYPES,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def check_upload(upload):
    """Refuse an empty, oversize or unsupported file; return its real
    content type."""
    if upload is None or not upload.size:
        raise ValidationError(_("The file is empty."), code="empty")
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("The file is %(size)s; the limit is %(limit)s.")
            % {"size": filesizeformat(upload.size), "limit": filesizeformat(settings.ATTACHMENT_MAX_BYTES)},
            code="too_large",
        )
    content_type = sniff_content_type(upload)
    if content_type is None:
        raise ValidationError(_("Only JPEG, PNG and PDF files are accepted."), code="unsupported")
    if content_type in _PILLOW_FORMATS:
        check_image(upload, content_type)
    return content_type


# The Pillow format each image type is opened as, and only as: an upload
# never reaches Pillow's other decoders.
_PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


def bound_image_pixels():
    """Pillow's decompression-bomb limit, set deliberately (from
    ``WellsConfig.ready``): an image of more than ``IMAGE_MAX_PIXELS`` is an
    error wherever Pillow opens one, where Pillow by itself only warns up to
    twice its default of 89 megapixels."""
    Image.MAX_IMAGE_PIXELS = settings.IMAGE_MAX_PIXELS
    warnings.simplefilter("error", Image.DecompressionBombWarning)


def check_image(upload, content_type):
    """Refuse an image that Pillow cannot open as the format its first bytes
    claim, or that has more pixels than ``IMAGE_MAX_PIXELS``. Only the
    header is read, before any EXIF or thumbnail work: a 1.8 KB PNG may
    claim 60000×60000 pixels, 14 GB for whoever decodes it."""
    limit = settings.IMAGE_MAX_PIXELS
    too_large = ValidationError(
        _("The image has more than %(limit)s pixels (width × height): send a smaller one.") % {"limit": f"{limit:,}"},
        code="too_many_pixels",
    )
    try:
        upload.seek(0)
        with Image.open(upload, formats=[_PILLOW_FORMATS[content_type]]) as image:
            width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except Exception:  # the uploader's bytes: whatever Pillow makes of them, the file is refused
        logger.info("Unreadable image %r", getattr(upload, "name", ""), exc_info=True)
        raise ValidationError(
            _("The image cannot be read: it is damaged, or not the JPEG or PNG it starts as."), code="unreadable"
        ) from None
    finally:
        upload.seek(0)
    if width * height > limit:
        raise too_large


def store_attachment(*, well, kind, upload, uploaded_by, claimed=None):
    """Check an upload and save it as evidence for ``well``, with what a
    photo's EXIF says about where and when it was taken (and the warning
    when that is far from the well). ``claimed`` (a :class:`PhotoFacts`)
    is what the phone read from the photo's EXIF before shrinking it, which
    drops the EXIF: it stands for whatever the stored file itself no longer
    says. Everything is checked before anything is stored; a refusal raises
    ``ValidationError`` and keeps nothing."""
    content_type = check_upload(upload)
    facts = {}
    if content_type in _PILLOW_FORMATS:
        photo = read_photo_facts(upload) if content_type == "image/jpeg" else PhotoFacts()
        if claimed is not None:
            photo = photo_facts_or_claimed(photo, claimed)
        facts = {"exif_lat": photo.lat, "exif_lng": photo.lng, "exif_taken_at": photo.taken_at}
        facts["warning"] = photo_warning(Attachment(**facts), well)
    attachment = Attachment.store(
        well=well, kind=kind, upload=upload, content_type=content_type, uploaded_by=uploaded_by, **facts
    )
    make_thumbnails(attachment)
    return attachment


def thumbnail_response(attachment, size):
    """Stream the thumbnail of an image attachment (made now if missing) to
    someone the caller has found may see its well; 404 for any other file."""
    try:
        stored = thumbnail_file(attachment, size)
    except FileNotFoundError:
        logger.error("Attachment %s is missing from storage: %s", attachment.pk, attachment.file.name)
        stored = None
    if stored is None:
        raise Http404(_("No such picture."))
    response = FileResponse(stored, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    # The file never changes under its address: a phone keeps it.
    response["Cache-Control"] = "private, max-age=86400"
    return response
