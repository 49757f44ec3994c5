"""The streaming xlsx writer: what it writes, openpyxl reads back."""

import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from wells.excel import xlsx
from wells.excel.xlsx import Cells, StreamingWorkbook, Style


def test_cells_styles_and_sheet_settings_read_back():
    handle = io.BytesIO()
    book = StreamingWorkbook(handle)
    with book.sheet("台账 <1>", widths=[10, 12, 14, 16], styles=[None, Style("yyyy-mm-dd"), Style("0.00"), None]) as s:
        s.append(["编码", "限期", "井深", "备注"], header=True)
        s.append(["A&B <x>", datetime.date(2023, 11, 30), Decimal("80.50"), "控制\x00字符\x1f"])
        s.append([None, None, 3, True])
    with book.sheet("汇总", widths=[10], styles=[Style("yyyy-mm-dd hh:mm")], autofilter=False) as s:
        s.append([datetime.datetime(2023, 6, 15, 8, 30)])
    book.close()

    workbook = load_workbook(io.BytesIO(handle.getvalue()))
    first, second = workbook.worksheets
    assert first.title == "台账 <1>" and second.title == "汇总"
    assert [c.value for c in first[1]] == ["编码", "限期", "井深", "备注"]
    assert all(c.font.b for c in first[1])
    assert first["A2"].value == "A&B <x>"
    assert first["B2"].value == datetime.datetime(2023, 11, 30) and first["B2"].number_format == "yyyy-mm-dd"
    assert first["C2"].value == 80.5 and first["C2"].number_format == "0.00"
    assert first["D2"].value == "控制字符"  # characters XML cannot carry are dropped
    assert first["A3"].value is None and first["D3"].value is True
    assert first.freeze_panes == "A2"
    assert first.auto_filter.ref == "A1:D3"
    assert first.column_dimensions["B"].width == 12
    assert second.auto_filter.ref is None
    assert abs(second["A1"].value - datetime.datetime(2023, 6, 15, 8, 30)) < datetime.timedelta(seconds=1)


def written(columns, rows, *, styles=None, guard=True):
    """A workbook of one sheet written by ``extend``, read back by openpyxl,
    and its raw parts."""
    handle = io.BytesIO()
    book = StreamingWorkbook(handle, guard_formulas=guard)
    with book.sheet("台账", widths=[10] * len(columns), styles=styles) as sheet:
        sheet.append([f"列{n}" for n in range(len(columns))], header=True)
        assert sheet.extend(iter(rows), columns) == len(rows)
    book.close()
    with zipfile.ZipFile(io.BytesIO(handle.getvalue())) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    return load_workbook(io.BytesIO(handle.getvalue())).active, parts


def test_rows_written_fast_read_back_as_the_values_they_were():
    shanghai = datetime.timezone(datetime.timedelta(hours=8))
    columns = [
        Cells(kind="text"),
        Cells(lambda code: {"a": "甲", "b": "乙"}.get(code, code), kind="text", repeats=True),
        Cells(kind="number"),
        Cells(repeats=True),
        Cells(kind="datetime"),
        Cells(),
    ]
    styles = [None, None, Style("0.00"), Style("yyyy-mm-dd"), Style("yyyy-mm-dd hh:mm"), None]
    rows = [
        (
            "CJ-01",
            "a",
            Decimal("80.50"),
            datetime.date(2023, 11, 30),
            datetime.datetime(2023, 6, 15, 8, 30, 59, 900000),
            7,
        ),
        (" 前后有空格 ", "b", None, None, datetime.datetime(2023, 6, 15, 8, 30, tzinfo=shanghai), True),
        ('A&B <x> "q"', "c", 3, datetime.date(2023, 11, 30), None, None),
        ("控制\x00字符\x1f", None, 0.5, datetime.datetime(2023, 1, 2, 3, 4), None, "文本"),
        ("", "a", Decimal("-1.25"), None, None, ""),
    ]

    sheet, _parts = written(columns, rows, styles=styles)

    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0][:4] == ["CJ-01", "甲", 80.5, datetime.datetime(2023, 11, 30)]
    # A moment is written to the second, its time zone left out as Excel has none.
    assert values[0][4] == datetime.datetime(2023, 6, 15, 8, 30, 59)
    assert values[0][5] == 7
    assert values[1] == [" 前后有空格 ", "乙", None, None, datetime.datetime(2023, 6, 15, 8, 30), True]
    assert values[2] == ['A&B <x> "q"', "c", 3, datetime.datetime(2023, 11, 30), None, None]
    assert values[3][:4] == ["控制字符", None, 0.5, datetime.datetime(2023, 1, 2, 3, 4)]
    assert values[3][5] == "文本"
    assert values[4] == [None, "甲", -1.25, None, None, None]
    assert sheet["C2"].number_format == "0.00" and sheet["D2"].number_format == "yyyy-mm-dd"
    assert sheet.auto_filter.ref == "A1:F6"


def test_text_a_spreadsheet_would_run_as_a_formula_is_written_after_an_apostrophe():
    rows = [("=1+1", "+86 138"), ("-1", "@SUM(A1)"), ("\tTab", "a=b")]

    guarded, parts = written([Cells(kind="text"), Cells(kind="text", repeats=True)], rows)
    plain, _parts = written([Cells(kind="text"), Cells(kind="text", repeats=True)], rows, guard=False)

    assert [[cell.value for cell in row] for row in guarded.iter_rows(min_row=2)] == [
        ["'=1+1", "'+86 138"],
        ["'-1", "'@SUM(A1)"],
        ["'\tTab", "a=b"],
    ]
    assert [[cell.value for cell in row] for row in plain.iter_rows(min_row=2)] == [list(row) for row in rows]
    assert b"<f>" not in parts["xl/worksheets/sheet1.xml"]


def test_a_repeating_text_column_keeps_each_value_once_in_the_shared_strings():
    rows = [(f"W{n}", ["中山路", "宁边路", "滨湖镇"][n % 3]) for n in range(30)]

    sheet, parts = written([Cells(kind="text"), Cells(kind="text", repeats=True)], rows)

    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [township for _code, township in rows]
    shared = parts["xl/sharedStrings.xml"].decode()
    assert shared.count("<si>") == 3 and shared.count("中山路") == 1
    assert 'uniqueCount="3"' in shared
    assert b"sharedStrings.xml" in parts["[Content_Types].xml"]
    assert b"sharedStrings.xml" in parts["xl/_rels/workbook.xml.rels"]


def test_past_its_limits_a_column_is_still_written_right(monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_SHARED_STRINGS", 2)
    monkeypatch.setattr(xlsx, "MEMO_SIZE", 3)
    rows = [(f"第{n % 7}村", n % 5) for n in range(40)]

    sheet, parts = written(
        [Cells(kind="text", repeats=True), Cells(lambda n: n * 10, kind="number", repeats=True)], rows
    )

    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)] == [
        [village, n * 10] for village, n in rows
    ]
    assert parts["xl/sharedStrings.xml"].decode().count("<si>") == 2


def test_a_row_of_the_wrong_width_is_refused():
    book = StreamingWorkbook(io.BytesIO())
    with book.sheet("台账", widths=[10, 10]) as sheet, pytest.raises(ValueError, match="A row of 3 values"):
        sheet.extend([("a", "b", "c")], [Cells(), Cells()])


def test_an_unknown_kind_of_cell_is_refused():
    with pytest.raises(ValueError, match="Unknown kind"):
        Cells(kind="date")
