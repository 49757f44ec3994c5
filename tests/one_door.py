"""A pytest plugin that holds the whole suite to DESIGN §3's "nothing else
saves a well": every INSERT, UPDATE or DELETE of the wells table that the
suite's own database connection runs must come from the doors
(``wells/changes.py``), from a migration or the data generator, or from the
tests' own setup (factories, a test arranging a well). Anything else — a
view, a form, an admin method, the import, the tasks app saving a ``Well``
by itself — fails the test that reached it, naming the line.

Loaded for every test run by ``-p tests.one_door`` in pyproject.toml."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Where a write to the wells table may come from (paths under ROOT).
ALLOWED = (
    "wells/changes.py",
    "wells/migrations/",
    "wells/management/commands/generate_wells.py",
    # loaddata of the Changji demo into a ledger it checks is empty.
    "tasks/management/commands/load_demo.py",
    "tests/",
    "bench/",
)
# Library-like modules of the project: a write through them is the caller's.
PASSTHROUGH = ("wellclosure/bulk.py",)
_WRITE = re.compile(r'^\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM|COPY)\s+"wells_well"\s', re.IGNORECASE)


class WellWrittenOutsideTheDoors(AssertionError):
    pass


def writer_of(frame):
    """The innermost frame of the project's own code (not a library's) and
    its path relative to the project, or (None, None)."""
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(ROOT) and ".venv" not in path.parts and path != Path(__file__):
            relative = path.relative_to(ROOT).as_posix()
            if relative not in PASSTHROUGH:
                return frame, relative
        frame = frame.f_back
    return None, None


def check(sql):
    if _WRITE.match(sql):
        frame, path = writer_of(sys._getframe(2))
        if path is not None and not path.startswith(ALLOWED):
            raise WellWrittenOutsideTheDoors(
                f"{path}:{frame.f_lineno} writes a well without going through wells.changes: {sql[:80]}"
            )


def guard(execute, sql, params, many, context):
    check(sql)
    return execute(sql, params, many, context)


def guarded_copy(copy):
    """PostgreSQL's COPY (wellclosure/bulk.py) goes to psycopg's cursor
    without Django's execute wrappers: checked here instead."""

    def guarded(cursor, statement, *args, **kwargs):
        check(statement)
        if copy is None:
            return cursor.cursor.copy(statement, *args, **kwargs)
        return copy(cursor, statement, *args, **kwargs)

    return guarded


@pytest.fixture(autouse=True)
def only_the_doors_write_wells(monkeypatch):
    from django.db import connection
    from django.db.backends.utils import CursorWrapper

    monkeypatch.setattr(CursorWrapper, "copy", guarded_copy(None), raising=False)
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql.base import CursorDebugWrapper

        monkeypatch.setattr(CursorDebugWrapper, "copy", guarded_copy(CursorDebugWrapper.copy))
    with connection.execute_wrapper(guard):
        yield
