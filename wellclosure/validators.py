"""What a value must be to enter the ledger, whichever way it comes: a form,
JSON, an import cell, a file's metadata or its name (issue 14: one user's
hostile value must never break a well for everyone).

- Text carries no control character but tab and newline (a carriage return
  only as the first half of the CRLF that browsers send for every new line
  of a text area). Word refuses the others outright (python-docx raises on
  them, so a notice holding one could not be printed), XML 1.0 cannot carry
  most of them, and none of them means anything a person typed.
- Dates lie within :data:`EARLIEST_DATE` and :data:`LATEST_DATE`: nothing in
  a closure campaign happens outside them, and a date at the ends of
  Python's range (year 1 or 9999) overflows the moment anything adds a day
  or a time zone to it.

Here rather than in ``wells`` because the accounts (display names, units)
hold text too, and ``accounts`` may not import ``wells`` (DESIGN §2).

The model fields name :func:`no_control_characters` and
:func:`date_in_range` among their validators, so that ModelForms,
ModelSerializers and the doors' ``full_clean``/``clean_fields`` all apply
them; code that reads a value by itself (the workflow's action fields, an
import cell) calls :func:`check_text` and :func:`check_date`, which name the
field. The document and export writers pass stored text through
:func:`printable` as their backstop.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The control characters (C0 but tab and line feed, DEL, C1), a carriage
# return not followed by a line feed, lone surrogates (not text at all: no
# UTF-8 for them, and databases refuse them) and the two noncharacters XML
# 1.0 forbids.
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]|\r(?!\n)")
# In a file name not even tab, newline or carriage return make sense.
_FORBIDDEN_IN_NAMES = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2100, 12, 31)


def forbidden_character(value):
    """``(position, character)`` of the first character ``value`` may not
    carry (position counted from 1), or None."""
    if not isinstance(value, str):
        return None
    found = FORBIDDEN.search(value)
    return None if found is None else (found.start() + 1, found.group()[0])


def _describe(character):
    return f"U+{ord(character):04X}"


def no_control_characters(value):
    """A model field's validator: refuse text holding a control character
    (see the module's docstring). The form or serializer puts the error on
    the field."""
    found = forbidden_character(value)
    if found is not None:
        position, character = found
        raise ValidationError(
            _("This text contains a control character (%(character)s at character %(position)d): remove it."),
            code="control_character",
            params={"character": _describe(character), "position": position},
        )


def check_text(value, field):
    """Return ``value`` when it is text without control characters (or not
    text at all: a number, a date, None); refuse it otherwise with a
    ``ValidationError`` whose message names ``field`` (a label a person
    reads, e.g. "备注"). For code that reads a value by itself — the
    workflow's action fields, a cell of an imported workbook."""
    found = forbidden_character(value)
    if found is not None:
        position, character = found
        raise ValidationError(
            _("The %(field)s contains a control character (%(character)s at character %(position)d): remove it.")
            % {"field": field, "character": _describe(character), "position": position},
            code="control_character",
        )
    return value


def printable(value):
    """``value`` (any value: it is made text) without the characters text
    may not carry: what a document or export writer puts down, whatever was
    stored."""
    text = "" if value is None else str(value)
    return FORBIDDEN.sub("", text) if FORBIDDEN.search(text) else text


def clean_file_name(name, default="upload"):
    """An uploaded file's name as the ledger keeps and shows it: without
    control characters, tabs or line breaks (a file is never refused for its
    name), or ``default`` when nothing is left."""
    name = _FORBIDDEN_IN_NAMES.sub("", str(name or "")).strip()
    return name or default


def date_in_range(value):
    """A model field's validator: refuse a date outside the ledger's years."""
    if value is not None and not EARLIEST_DATE <= _as_date(value) <= LATEST_DATE:
        raise ValidationError(
            _("The date must lie between %(earliest)s and %(latest)s."),
            code="date_out_of_range",
            params={"earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
        )


def check_date(value, field):
    """Return the date (or datetime) ``value`` when it lies within the
    ledger's years; refuse it otherwise with a ``ValidationError`` naming
    ``field``."""
    if value is not None and not EARLIEST_DATE <= _as_date(value) <= LATEST_DATE:
        raise ValidationError(
            _("The %(field)s must lie between %(earliest)s and %(latest)s.")
            % {"field": field, "earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()},
            code="date_out_of_range",
        )
    return value


def _as_date(value):
    return value.date() if isinstance(value, datetime.datetime) else value
