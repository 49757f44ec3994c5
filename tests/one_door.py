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
_WRITE = re.compile(r'^\s*(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM)\s+"wells_well"\s', re.IGNORECASE)


class WellWrittenOutsideTheDoors(AssertionError):
    pass


def writer_of(frame):
    """The innermost frame of the project's own code (not a library's) and
    its path relative to the project, or (None, None)."""
    while frame is not None:
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(ROOT) and ".venv" not in path.parts and path != Path(__file__):
            return frame, path.relative_to(ROOT).as_posix()
        frame = frame.f_back
    return None, None


def guard(execute, sql, params, many, context):
    if _WRITE.match(sql):
        frame, path = writer_of(sys._getframe(1))
        if path is not None and not path.startswith(ALLOWED):
            raise WellWrittenOutsideTheDoors(
                f"{path}:{frame.f_lineno} writes a well without going through wells.changes: {sql[:80]}"
            )
    return execute(sql, params, many, context)


@pytest.fixture(autouse=True)
def only_the_doors_write_wells():
    from django.db import connection

    with connection.execute_wrapper(guard):
        yield
