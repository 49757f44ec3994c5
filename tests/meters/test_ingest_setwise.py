"""The two ways of meters.ingest give one answer: the set-wise path of
PostgreSQL (a cheap reading pass, COPY, one query deciding each row) and
the portable path (every rule row by row in Python, SQLite's). On
PostgreSQL the same awkward batches go through both, each in its own
savepoint, and the answers and the stored rows must be the same; the
reading passes are compared on any database."""

import datetime
import decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.utils import timezone

from meters import ingest as door
from meters import partitions
from meters.choices import ReadingKind
from meters.models import MeterReading
from tests.factories import WellFactory
from tests.meters.conftest import at
from wells.choices import Status

pytestmark = pytest.mark.usefixtures("clock")

JUNE_12 = datetime.date(2023, 6, 12)
JUNE_13 = datetime.date(2023, 6, 13)
JUNE_14 = datetime.date(2023, 6, 14)
JUNE_15 = datetime.date(2023, 6, 15)
UTC_MINUS_ONE = datetime.timezone(datetime.timedelta(hours=-1))

# Rows whose reading is the whole question: each shape of a good and of a
# bad meter number, time and kWh, for a meter "6501001".
AWKWARD_ROWS = [
    {"meter_no": "6501001", "read_at": at(JUNE_14), "kwh": "12.5"},
    {"meter_no": " 6501001\u3000", "read_at": at(JUNE_14, 9), "kwh": "3"},  # stripped, ideographic space too
    {"meter_no": 6501001, "read_at": at(JUNE_14, 10), "kwh": 4},  # a number as the meter
    {"meter_no": True, "read_at": at(JUNE_14, 10), "kwh": 4},
    {"meter_no": "", "read_at": at(JUNE_14, 10), "kwh": 4},
    {"meter_no": "x" * 101, "read_at": at(JUNE_14, 10), "kwh": 4},
    {"meter_no": "65\x0001", "read_at": at(JUNE_14, 10), "kwh": 4},
    {"meter_no": "65\t01\\x", "read_at": at(JUNE_14, 10), "kwh": 4},  # kept: unknown, with its tab and backslash
    {"meter_no": "6501001", "read_at": "2023-06-14 11:00", "kwh": 5.25},  # naive: Beijing time
    {"meter_no": "6501001", "read_at": datetime.datetime(2023, 6, 14, 12), "kwh": "6"},
    {"meter_no": "6501001", "read_at": datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC), "kwh": "6"},
    {"meter_no": "6501001", "read_at": datetime.datetime(1989, 12, 31, 23, tzinfo=UTC_MINUS_ONE), "kwh": "6"},
    {"meter_no": "6501001", "read_at": "yesterday", "kwh": "1"},
    {"meter_no": "6501001", "read_at": "2023-06-15T10:59:00+08:00", "kwh": "1"},  # within the hour allowed
    {"meter_no": "6501001", "read_at": "2023-06-15T11:01:00+08:00", "kwh": "1"},  # in the future
    {"meter_no": "6501001", "read_at": 20230614, "kwh": "1"},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": "-0"},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": "-1"},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": "1.234"},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": "1e2"},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": "007.10"},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": "\u0661\u0662"},  # Arabic-Indic 12
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": "1000000000000"},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": 10**12},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": 999999999999},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": 1e16},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": float("nan")},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": decimal.Decimal("2.50")},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": None},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13), "kwh": False},
    {"meter_no": "6501001", "read_at": at(JUNE_14, 13)},
    ["6501001", at(JUNE_14, 13), "1"],
    None,
]


def _read_one_by_one(readings, now):
    errors, rows, times = [], [], {}
    for index, raw in enumerate(readings):
        row = door._read_row(raw, {"row": index + 1}, now, errors, times)
        if row is not None:
            rows.append((index, row.meter_no, row.read_at, row.kwh))
    return rows, errors


def _read_plainly(readings, now):
    errors = []
    lines = door._plain_lines(readings, door._row_number, now, errors)
    rows = []
    for line in lines:
        index, meter_no, stamp, kwh = line[:-1].split("\t")
        meter_no = meter_no.replace("\\t", "\t").replace("\\\\", "\\")
        rows.append((int(index), meter_no, datetime.datetime.fromisoformat(stamp), decimal.Decimal(kwh)))
    return rows, errors


def test_the_plain_reading_pass_takes_and_refuses_what_the_full_checks_do():
    now = timezone.now()

    plain_rows, plain_errors = _read_plainly(AWKWARD_ROWS, now)
    full_rows, full_errors = _read_one_by_one(AWKWARD_ROWS, now)

    assert plain_errors == full_errors
    assert plain_rows == full_rows
    # The shapes above do reach both sides of the pass.
    assert len(full_rows) >= 10 and len(full_errors) >= 15


def test_a_negative_zero_is_zero():
    assert str(door._read_kwh("-0")) == "0.00"


setwise_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-wise path is PostgreSQL's")


@pytest.fixture
def ledger(zhongshan, campaign):
    """Meters of each kind of lookup: one well each, one on two wells, one on
    an archived well."""
    wells = {
        meter: WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED, meter_no=meter)
        for meter in ("6501001", "6501002", "6501003", "6501009")
    }
    WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED, meter_no="6501009")
    WellFactory(
        township=zhongshan, campaign=campaign, status=Status.SEALED, meter_no="6501008", archived_at=timezone.now()
    )
    return wells


def _by_both(batches):
    """Each (readings, kind, where) in turn through each path, in a savepoint
    rolled back after: the answers and the rows stored, per path."""
    answers = {}
    for name, path in (("portable", door._ingest_portable), ("setwise", door._ingest_postgresql)):
        sid = transaction.savepoint()
        results = []
        for readings, kind, where in batches:
            result = path(readings, kind == ReadingKind.REGISTER, where or door._row_number)
            result.errors.sort(key=lambda error: error.get("_order", 0))
            for error in result.errors:
                error.pop("_order", None)
            results.append(result.as_dict())
        stored = list(
            MeterReading.objects.order_by("meter_no", "read_at").values_list(
                "meter_no", "read_at", "well_id", "kwh", "register", "consumed_kwh"
            )
        )
        answers[name] = (results, stored)
        transaction.savepoint_rollback(sid)
    return answers


def _register_story():
    stored_first = [
        {"meter_no": "6501001", "read_at": at(JUNE_13), "kwh": "100"},
        {"meter_no": "6501002", "read_at": at(JUNE_13), "kwh": "50"},
    ]
    batch = [
        {"meter_no": "6501001", "read_at": at(JUNE_12), "kwh": "99"},  # older than the stored, not stored
        {"meter_no": "6501001", "read_at": at(JUNE_13), "kwh": "100"},  # stored: a duplicate
        {"meter_no": "6501001", "read_at": at(JUNE_14), "kwh": "90"},  # backwards from 100
        {"meter_no": "6501001", "read_at": at(JUNE_14, 12), "kwh": "95"},  # still backwards from 100
        {"meter_no": "6501001", "read_at": at(JUNE_14, 20), "kwh": "104.5"},  # 4.50 after 100
        {"meter_no": "6501001", "read_at": at(JUNE_15, 8), "kwh": "104.5"},  # 0.00
        {"meter_no": "6501001", "read_at": at(JUNE_15, 9), "kwh": "104"},  # backwards from 104.50 at 08:00
        {"meter_no": "6501001", "read_at": at(JUNE_15, 8), "kwh": "104.50"},  # repeated, same kWh
        {"meter_no": "6501001", "read_at": at(JUNE_15, 8), "kwh": "7"},  # repeated, another kWh
        {"meter_no": "6501002", "read_at": at(JUNE_14), "kwh": "49.99"},  # backwards
        {"meter_no": "6501002", "read_at": at(JUNE_13), "kwh": "50"},  # stored
        {"meter_no": "6501003", "read_at": at(JUNE_14, 9), "kwh": "10"},  # first reading: no consumption
        {"meter_no": "6501003", "read_at": at(JUNE_14, 8), "kwh": "11"},  # sent out of order: backwards after sort
        {"meter_no": "6501003", "read_at": at(JUNE_14, 10), "kwh": "10.5"},
        {"meter_no": "6501009", "read_at": at(JUNE_14), "kwh": "1"},  # on two wells
        {"meter_no": "6501008", "read_at": at(JUNE_14), "kwh": "1"},  # an archived well's
        {"meter_no": "NO-SUCH", "read_at": at(JUNE_14), "kwh": "1"},
        *AWKWARD_ROWS,
    ]
    return [
        (stored_first, ReadingKind.REGISTER, None),
        (batch, ReadingKind.REGISTER, None),
        (batch, ReadingKind.REGISTER, None),
    ]


@setwise_only
def test_a_register_batch_gets_the_same_answer_and_rows_from_both_paths(ledger):
    answers = _by_both(_register_story())

    assert answers["setwise"] == answers["portable"]
    results, stored = answers["setwise"]
    # 104.50 twice on the first meter, and the third meter's first reading;
    # the resent batch stores nothing.
    assert [result["stored"] for result in results] == [2, 3, 0]
    assert len(results[1]["errors"]) > 40
    assert len(stored) == 5


@setwise_only
def test_an_interval_batch_gets_the_same_answer_and_rows_from_both_paths(ledger):
    story = [(readings, ReadingKind.INTERVAL, where) for readings, _kind, where in _register_story()]
    answers = _by_both(story)

    assert answers["setwise"] == answers["portable"]


@setwise_only
def test_rows_of_two_sheets_with_one_row_number_come_in_the_same_order_from_both_paths(ledger):
    readings = [
        {"meter_no": "6501001", "read_at": at(JUNE_14), "kwh": "5"},
        {"meter_no": "6501002", "read_at": at(JUNE_14), "kwh": "5"},
        {"meter_no": "NO-SUCH", "read_at": at(JUNE_14), "kwh": "1"},
        {"meter_no": "6501001", "read_at": at(JUNE_14), "kwh": "6"},
        {"meter_no": "6501002", "read_at": at(JUNE_13), "kwh": "1"},
        {"meter_no": "6501001", "read_at": "never", "kwh": "1"},
    ]
    sheets = [("一月", 2), ("二月", 2), ("一月", 3), ("二月", 3), ("一月", 4), ("二月", 4)]
    story = [
        ([{"meter_no": "6501002", "read_at": at(JUNE_14, 1), "kwh": "0"}], ReadingKind.REGISTER, None),
        (readings, ReadingKind.REGISTER, lambda index: {"sheet": sheets[index][0], "row": sheets[index][1]}),
    ]

    answers = _by_both(story)

    assert answers["setwise"] == answers["portable"]
    assert len(answers["setwise"][0][1]["errors"]) == 4


def test_a_register_compares_with_the_last_accepted_reading_not_a_refused_one(sealed_well):
    result = door.ingest(
        [
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13), "kwh": "100.00"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13, 12), "kwh": "90.00"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_13, 16), "kwh": "95.00"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14), "kwh": "100.00"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14, 12), "kwh": "99.00"},
            {"meter_no": sealed_well.meter_no, "read_at": at(JUNE_14, 20), "kwh": "104.50"},
        ],
        "register",
    )

    assert result.stored == 3
    assert [(e["row"], e["field"]) for e in result.errors] == [(2, "kwh"), (3, "kwh"), (5, "kwh")]
    assert "100.00" in result.errors[1]["message"] and "2023-06-13 08:00" in result.errors[1]["message"]
    # The register stood still at 100.00 from 08:00 on the 13th to the 14th:
    # the later of the two is the reading before.
    assert "2023-06-14 08:00" in result.errors[2]["message"]
    consumed = list(MeterReading.objects.order_by("read_at").values_list("consumed_kwh", flat=True))
    assert [str(value) if value is not None else None for value in consumed] == [None, "0.00", "4.50"]


def test_an_unknown_meter_with_a_tab_in_it_is_named_as_sent(sealed_well):
    result = door.ingest([{"meter_no": "65\t01\\9", "read_at": at(JUNE_14), "kwh": "1"}], "interval")

    assert result.errors == [
        {
            "row": 1,
            "meter_no": "65\t01\\9",
            "field": "meter_no",
            "message": result.errors[0]["message"],
        }
    ]
    assert "65\t01\\9" in result.errors[0]["message"]


def test_a_reading_in_an_earlier_year_by_its_own_offset_is_refused_like_the_same_instant_is_not():
    shanghai = ZoneInfo("Asia/Shanghai")
    now = timezone.now()
    instant = datetime.datetime(1990, 1, 1, tzinfo=datetime.UTC)
    readings = [
        {"meter_no": "6501001", "read_at": instant, "kwh": "1"},
        {"meter_no": "6501001", "read_at": instant.astimezone(UTC_MINUS_ONE), "kwh": "1"},
        {"meter_no": "6501001", "read_at": instant.astimezone(shanghai), "kwh": "1"},
    ]

    rows, errors = _read_plainly(readings, now)

    assert [index for index, *_rest in rows] == [0, 2]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "read_at")]


@setwise_only
def test_a_reading_stored_by_another_batch_meanwhile_is_a_duplicate_not_an_error(ledger):
    """Between the batch's query and its insert another loader stores one of
    its readings: the plain insert meets the primary key, and the insert
    that lets the key decide stores the rest."""
    readings = [
        {"meter_no": "6501001", "read_at": at(JUNE_14), "kwh": "1"},
        {"meter_no": "6501002", "read_at": at(JUNE_14), "kwh": "2"},
    ]
    well = ledger["6501001"]

    def the_other_loader_first(execute, sql, params, many, context):
        answer = execute(sql, params, many, context)
        if sql.startswith(f"SELECT min(read_at), max(read_at) FROM {door._FATE}"):
            # After the batch's query decided, before its insert.
            partitions.ensure_partitions(connection, [JUNE_14])
            MeterReading.objects.create(
                meter_no="6501001",
                read_at=datetime.datetime.fromisoformat(at(JUNE_14)),
                well=well,
                kwh=1,
                register=False,
                consumed_kwh=1,
            )
        return answer

    with connection.execute_wrapper(the_other_loader_first):
        result = door.ingest(readings, "interval")

    assert result.as_dict() == {"stored": 1, "duplicates": 1, "errors": []}
    assert MeterReading.objects.count() == 2
