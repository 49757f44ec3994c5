"""Previews waiting for their confirmation: what a preview found
(:func:`wells.excel.inventory.staged_plan`, JSON), the whole preview as a
workbook and, when it found errors, the error report, under ``ATTACHMENT_ROOT/imports/`` by a random
token — never the uploaded file, so that the confirmation reads nothing
again. A preview's files are removed when it is confirmed, cancelled or
replaced by the next upload, and after :data:`MAX_AGE` by
:func:`clear_expired`, which every new preview runs and the daily jobs
(``run_daily_jobs``) and ``manage.py clear_import_previews`` run too."""

import json
import time
import uuid

from django.conf import settings

MAX_AGE = 24 * 3600
ERRORS, PREVIEW = "-errors.xlsx", "-preview.xlsx"
SUFFIXES = (".json", ERRORS, PREVIEW)


def directory():
    return settings.ATTACHMENT_ROOT / "imports"


def _path(token, suffix):
    if not (isinstance(token, str) and token.isalnum()):
        return None
    return directory() / f"{token}{suffix}"


def stage(plan, *, user, errors_file=None, preview_file=None):
    """Keep ``plan`` (and the error report and the whole preview, open
    files) for ``user``; returns the token."""
    clear_expired()
    token = uuid.uuid4().hex
    directory().mkdir(parents=True, exist_ok=True)
    _path(token, ".json").write_text(json.dumps({"user": user.pk, "plan": plan}, ensure_ascii=False))
    for suffix, source in ((ERRORS, errors_file), (PREVIEW, preview_file)):
        if source is not None:
            with open(_path(token, suffix), "wb") as out:
                while chunk := source.read(1 << 16):
                    out.write(chunk)
    return token


def load(token, *, user):
    """The plan staged under ``token`` by ``user``, or None."""
    path = _path(token, ".json")
    if path is None or not path.is_file():
        return None
    staged = json.loads(path.read_text())
    return staged["plan"] if staged.get("user") == user.pk else None


def errors_path(token):
    return _file(token, ERRORS)


def preview_path(token):
    return _file(token, PREVIEW)


def _file(token, suffix):
    path = _path(token, suffix)
    return path if path is not None and path.is_file() else None


def remove(token):
    for suffix in SUFFIXES:
        path = _path(token, suffix)
        if path is not None:
            path.unlink(missing_ok=True)


def clear_expired(max_age=MAX_AGE):
    """Remove previews older than ``max_age`` seconds; returns how many
    files were removed."""
    if not directory().is_dir():
        return 0
    limit = time.time() - max_age
    removed = 0
    for path in directory().iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:
            continue  # removed meanwhile by a confirmation or another sweep
    return removed
