"""The administrative divisions as data (accounts/data/README.md): read
from a CSV of ``path, name, level, parent`` and written all or nothing."""

import csv
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.choices import PATH_LENGTHS, DivisionLevel
from accounts.models import Division

DATA = Path(__file__).resolve().parent / "data"
XINJIANG = DATA / "divisions_65.csv"


def read_divisions(path):
    """The rows of the CSV at ``path`` as dicts, checked: each path fits its
    level, begins with its parent's, and its parent comes before it. Raises
    ValidationError naming the row."""
    rows, seen = [], {}
    with open(path, encoding="utf-8", newline="") as file:
        for number, row in enumerate(csv.DictReader(file), start=2):
            code, name = (row.get("path") or "").strip(), (row.get("name") or "").strip()
            level, parent = (row.get("level") or "").strip(), (row.get("parent") or "").strip()
            where = _("Row %(row)s (%(code)s)") % {"row": number, "code": code}
            if level not in DivisionLevel.values:
                raise ValidationError(_("%(where)s: unknown level %(level)r.") % {"where": where, "level": level})
            if not code.isdigit() or len(code) != PATH_LENGTHS[level]:
                raise ValidationError(
                    _("%(where)s: a code of level %(level)s has %(digits)s digits.")
                    % {"where": where, "level": DivisionLevel(level).label, "digits": PATH_LENGTHS[level]}
                )
            if not name:
                raise ValidationError(_("%(where)s: the name is empty.") % {"where": where})
            if parent and (parent not in seen or not code.startswith(parent)):
                raise ValidationError(
                    _("%(where)s: the parent %(parent)s is not an earlier row whose code begins this one's.")
                    % {"where": where, "parent": parent}
                )
            if not parent and level != DivisionLevel.REGION:
                raise ValidationError(_("%(where)s: only a region has no parent.") % {"where": where})
            if code in seen:
                raise ValidationError(_("%(where)s: the code appears twice.") % {"where": where})
            seen[code] = level
            rows.append({"path": code, "name": name, "level": level, "parent": parent})
    return rows


@transaction.atomic
def load_divisions(path=XINJIANG):
    """Create or rename the divisions of the CSV at ``path``; returns
    (created, updated). Divisions not in the file are left as they are."""
    rows = read_divisions(path)
    existing = {division.path: division for division in Division.objects.filter(path__in=[r["path"] for r in rows])}
    created = updated = 0
    by_path = dict(existing)
    for row in rows:
        parent = by_path[row["parent"]] if row["parent"] else None
        division = existing.get(row["path"])
        if division is None:
            division = Division(path=row["path"])
            created += 1
        elif (division.name, division.level, division.parent_id) == (row["name"], row["level"], parent and parent.pk):
            continue
        else:
            updated += 1
        division.name, division.level, division.parent = row["name"], row["level"], parent
        division.save()
        by_path[row["path"]] = division
    return created, updated
