"""Pages of the ledger outside the admin."""

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from wells.models import Attachment, Well

logger = logging.getLogger(__name__)

# Opened in the browser; anything else (PDF, which may carry scripts) is
# downloaded.
INLINE_CONTENT_TYPES = frozenset({"image/jpeg", "image/png"})


@require_GET
@login_required
def attachment_download(request, pk):
    """Serve an attachment to someone who may see its well (404 for anyone
    else): evidence never has a public URL."""
    attachment = get_object_or_404(Attachment.objects.filter(well__in=Well.objects.visible_to(request.user)), pk=pk)
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
