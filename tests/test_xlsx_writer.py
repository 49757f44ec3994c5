"""The streaming xlsx writer: what it writes, openpyxl reads back."""

import datetime
import io
from decimal import Decimal

from openpyxl import load_workbook

from wells.xlsx import StreamingWorkbook, Style


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
