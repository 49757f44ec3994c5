"""Storing and serving the files of patrols and tickets: checked by their
content as a well's evidence is (:func:`wells.uploads.check_upload`), kept
outside any public URL, and served only to those who see their patrol or
ticket."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from supervision.models import SupervisionFile
from wellclosure.validators import clean_file_name
from wells.uploads import INLINE_CONTENT_TYPES, check_upload

__all__ = ["store_file"]


def store_file(upload, *, uploaded_by, patrol=None, ticket=None, event=None, photos_only=False):
    """Check ``upload`` and keep it for ``patrol`` or ``ticket``. Refuses
    with ``ValidationError`` (nothing kept) an empty, oversize or
    unsupported file, and anything but a JPEG or PNG image when
    ``photos_only``."""
    content_type = check_upload(upload)
    if photos_only and content_type not in INLINE_CONTENT_TYPES:
        raise ValidationError(_("Only photos (JPEG or PNG images) are accepted here."), code="not_a_photo")
    stored = SupervisionFile(
        patrol=patrol,
        ticket=ticket,
        event=event,
        original_name=clean_file_name(upload.name)[-200:],
        content_type=content_type,
        size=upload.size,
        uploaded_by=uploaded_by,
    )
    stored.file.save(upload.name or "upload", upload, save=False)
    try:
        stored.save()
    except BaseException:
        stored.file.delete(save=False)
        raise
    return stored
