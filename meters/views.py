"""The meter watch's page: the bureau's upload of the grid company's
monthly export, checked first (nothing stored) or stored, with the answer
of the API (stored, duplicates, and every refused row by sheet and row)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.choices import Role
from meters.excel import ExportError, import_export
from meters.forms import ExportUploadForm

IMPORTING_ROLES = {Role.BUREAU_ADMIN, Role.BUREAU_STAFF}
# The refused rows shown on the page; the count says how many more.
ERRORS_SHOWN = 500


class _CheckOnly(Exception):
    """Rolls back a check's transaction."""


@require_http_methods(["GET", "POST"])
@login_required
def import_readings(request):
    if request.user.role not in IMPORTING_ROLES:
        raise PermissionDenied
    status, result, stored = 200, None, False
    problem = None
    if request.method == "POST":
        form = ExportUploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            store = "store" in request.POST
            try:
                with transaction.atomic():
                    result = import_export(form.cleaned_data["file"], form.cleaned_data["kind"])
                    if not store:
                        raise _CheckOnly
            except _CheckOnly:
                pass
            except ExportError as error:
                problem = str(error)
                result = None
            if result is not None:
                status, stored = 200, store
    else:
        form = ExportUploadForm()
    context = {
        "form": form,
        "result": result,
        "stored": stored,
        "problem": problem,
        "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
        "errors_more": max(0, len(result.errors) - ERRORS_SHOWN) if result else 0,
    }
    return render(request, "meters/import.html", context, status=status)
