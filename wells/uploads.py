"""Checking uploaded evidence: a file is what its bytes say, not its name."""

import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from wells.models import Attachment
from wells.photos import record_photo_facts

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
    return content_type


def store_attachment(*, well, kind, upload, uploaded_by):
    """Check an upload and save it as evidence for ``well``, with what a
    photo's EXIF says about where and when it was taken."""
    content_type = check_upload(upload)
    attachment = Attachment.store(
        well=well, kind=kind, upload=upload, content_type=content_type, uploaded_by=uploaded_by
    )
    return record_photo_facts(attachment, upload, well)
