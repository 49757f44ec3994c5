"""The ledger export (DESIGN §5): every well under a filter as a workbook
streamed row by row, its last column the well's version (版本), which the
import reads back to refuse a row exported before its well changed."""

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connections, transaction
from django.db.models import BooleanField, Case, CharField, Value, When
from django.db.models.functions import Cast
from django.utils import timezone

from wells.choices import WORKBOOK_LABELS as LABELS
from wells.excel.headers import HEADERS, VERSION_COLUMN
from wells.excel.xlsx import Cells, StreamingWorkbook, Style
from wells.figures import overdue_q


@dataclass(frozen=True)
class ExportColumn:
    header: str
    width: int
    # What the column reads: a field of the well (through its relations), or
    # one of _export_annotations().
    source: str
    number_format: str | None = None
    # The value read -> the cell's value (a label for a code …), or None.
    convert: object = None
    # "text", "number", "datetime" or None (any): see wells.excel.xlsx.Cells.
    kind: str | None = None
    # Few distinct values (labels, names, dates): each written once.
    repeats: bool = False


def _label(name):
    labels = LABELS[name]
    return lambda code: labels.get(code, code)


def _uses_label(stored):
    # The column as stored (",domestic,irrigation,"), read without the
    # field's conversion to a list so that it can be looked up.
    labels = LABELS["uses"]
    return "、".join(labels.get(use, use) for use in (stored or "").split(",") if use)


def _yes_no(value):
    return "是" if value else "否"


def _text(field_name, header, width):
    return ExportColumn(header, width, field_name, kind="text")


def _named(field_name, header, width):
    return ExportColumn(header, width, field_name, kind="text", repeats=True)


def _coded(field_name, header, width):
    return ExportColumn(header, width, field_name, convert=_label(field_name), kind="text", repeats=True)


def _date(field_name, header, width):
    return ExportColumn(header, width, field_name, "yyyy-mm-dd", repeats=True)


EXPORT_COLUMNS = (
    _text("code", "机井编码", 16),
    _text("owner_name", "取水户名称", 24),
    _coded("owner_kind", "取水户类型", 14),
    _named("township__name", "乡镇(街道)", 14),
    _named("village", "村(社区)", 14),
    ExportColumn("经度", 13, "lng", "0.000000", kind="number"),
    ExportColumn("纬度", 13, "lat", "0.000000", kind="number"),
    _coded("zone", "所在区域", 10),
    ExportColumn("用途", 18, "uses_stored", convert=_uses_label, kind="text", repeats=True),
    ExportColumn("井深(米)", 10, "depth_m", "0.00", kind="number"),
    _text("license_no", "取水许可证号", 28),
    _text("meter_no", "电表号", 18),
    _coded("category", "类别", 12),
    _named("responsible_unit__name", "责任单位", 24),
    _named("responsible_person", "责任人", 10),
    _date("deadline", "限期", 12),
    _text("note", "备注", 36),
    _coded("status", "状态", 14),
    ExportColumn("是否超期", 9, "overdue_today", convert=_yes_no, kind="text", repeats=True),
    ExportColumn("强制关停", 9, "enforced", convert=_yes_no, kind="text", repeats=True),
    _date("comply_by", "限期整改日期", 12),
    _date("supply_connected_on", "替代水源接通日期", 14),
    _named("campaign__name", "所属行动", 30),
    # Converted to the local time as the rows are read (_export_cells).
    ExportColumn("更新时间", 18, "updated_at", "yyyy-mm-dd hh:mm", kind="datetime"),
    # Last (DESIGN §5): an export edited and imported again is refused, row
    # by row, where its well changed since (_may_update).
    ExportColumn(VERSION_COLUMN.header, 8, "version", "0", kind="number"),
)
# The export reads back as an import: its first columns are the template's,
# its last the well's version.
assert tuple(column.header for column in EXPORT_COLUMNS[: len(HEADERS)]) == HEADERS
assert (EXPORT_COLUMNS[-1].header, EXPORT_COLUMNS[-1].source) == (VERSION_COLUMN.header, "version")


def _export_annotations(today):
    """What the export reads beside the wells' own fields."""
    return {
        # Well.is_overdue, with today fixed once for the whole export.
        "overdue_today": Case(
            When(overdue_q(today), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
        "uses_stored": Cast("uses", output_field=CharField()),
    }


def _local_time(zone):
    """A moment as Excel shows it (Excel has no time zones): the time in
    ``zone``; the cell keeps it to the second."""

    def convert(moment):
        return moment.astimezone(zone) if moment else None

    return convert


def _export_cells(zone):
    cells = []
    for column in EXPORT_COLUMNS:
        convert = _local_time(zone) if column.source == "updated_at" else column.convert
        cells.append(Cells(convert, kind=column.kind, repeats=column.repeats))
    return cells


# Rows fetched from the database at a time.
EXPORT_CHUNK = 2000


@contextmanager
def _reading_all(using):
    """A transaction in which PostgreSQL plans a server-side cursor (the
    rows of ``QuerySet.iterator()``) to read every row. By default it plans
    it for its first tenth of rows (``cursor_tuple_fraction`` 0.1), a plan
    that starts fast and ends slow: for a campaign of 100,000 among a
    million wells, 4.5 s to read them all against 0.6 s for the plan that
    reads them all and sorts them (measured with psql). SQLite has no such
    cursor."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=using, savepoint=False):
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1")
        yield


SUMMARY_COLUMNS = (
    ("责任单位", 30, "responsible_unit__name", None),
    ("机井总数", 10, "total", "0"),
    ("应关停", 10, "to_close", "0"),
    ("保留", 10, "retained", "0"),
    ("已封填", 10, "sealed", "0"),
    ("已验收销号", 12, "accepted", "0"),
    ("超期", 10, "overdue", "0"),
    ("完成率", 10, "completion_rate", "0.0%"),
)


def export_wells(wells, summary_rows, totals):
    """The ledger as a workbook, streamed row by row (:mod:`wells.excel.xlsx`) so
    that 100,000 wells never sit in memory together: a sheet of wells with
    Chinese headers and labels, real date and number cells, a frozen header
    and an autofilter, and a sheet of figures per responsible unit.
    ``wells`` is a queryset of wells in the order wanted, read once, in one
    query, as plain values (never model instances); ``summary_rows`` and
    ``totals`` are the figures of the same wells
    (:meth:`wells.models.LedgerFigures.summary`). Returns an open temporary file at
    its start."""
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - handed to the response, which closes it
    # Text that Excel would run as a formula is written after an apostrophe.
    book = StreamingWorkbook(handle, guard_formulas=True)
    today, zone = timezone.localdate(), timezone.get_current_timezone()
    rows = wells.annotate(**_export_annotations(today)).values_list(*(column.source for column in EXPORT_COLUMNS))
    with book.sheet(
        "机井台账",
        widths=[column.width for column in EXPORT_COLUMNS],
        styles=[Style(column.number_format) if column.number_format else None for column in EXPORT_COLUMNS],
        printed=True,
    ) as sheet:
        sheet.append([column.header for column in EXPORT_COLUMNS], header=True)
        with _reading_all(rows.db):
            sheet.extend(rows.iterator(chunk_size=EXPORT_CHUNK), _export_cells(zone))

    with book.sheet(
        "按责任单位汇总",
        widths=[width for _header, width, _key, _format in SUMMARY_COLUMNS],
        styles=[Style(number_format) if number_format else None for *_rest, number_format in SUMMARY_COLUMNS],
        autofilter=False,
        printed=True,
    ) as summary:
        summary.append([header for header, *_rest in SUMMARY_COLUMNS], header=True)
        for row in summary_rows:
            summary.append([row.get(key) for _header, _width, key, _format in SUMMARY_COLUMNS])
        totals_row = {**totals, "responsible_unit__name": "合计"}
        summary.append([totals_row.get(key) for _header, _width, key, _format in SUMMARY_COLUMNS], header=True)
    book.close()
    handle.seek(0)
    return handle
