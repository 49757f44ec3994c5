"""The workbook reader the import uses (wells.xlsx.WorkbookReader): each
cell as openpyxl's read-only mode gives it, read faster, and a document
type declaration (XML entities) refused."""

import datetime
import io
import zipfile
from xml.parsers.expat import ExpatError

import openpyxl
import pytest

from wells.xlsx import ForbiddenXML, WorkbookReader


def openpyxl_rows(content, width):
    """What openpyxl reads: rows from 1, as wide as ``width``."""
    book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        sheet.reset_dimensions()
        return [tuple(values) for values in sheet.iter_rows(max_col=width, values_only=True)]
    finally:
        book.close()


def our_rows(content, width):
    """The reader's rows from 1, a row of None for each row left out."""
    book = WorkbookReader(io.BytesIO(content))
    try:
        (_title, path), *_others = book.sheets
        sheet = book.sheet(path, max_col=width)
        rows = []
        for number, values in sheet.rows():
            rows.extend([(None,) * width] * (number - 1 - len(rows)))
            rows.append(values)
        return rows, sheet
    finally:
        book.close()


def saved(book):
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


def test_a_workbook_saved_by_openpyxl_reads_as_openpyxl_reads_it():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["标题"])
    sheet.append(["编码", "数", "小数", "日期", "时刻", "是否", "空", "时长"])
    sheet.append(["CJ-01", 80, 87.308611, datetime.date(2023, 11, 30), datetime.datetime(2023, 6, 15, 8, 30), True])
    sheet.append(["CJ-02", -3, 1e-7, "2023-11-30", None, False, None, datetime.timedelta(hours=30)])
    sheet["A6"] = "下面隔了一行"
    sheet["J6"] = "第十列"
    sheet.merge_cells("B3:B5")
    content = saved(book)

    rows, _sheet = our_rows(content, 8)

    assert rows == openpyxl_rows(content, 8)
    assert rows[2][3] == datetime.datetime(2023, 11, 30)
    assert rows[3][7] == datetime.timedelta(hours=30)
    assert rows[5] == ("下面隔了一行",) + (None,) * 7


def test_a_write_only_workbook_with_inline_strings_reads_as_openpyxl_reads_it():
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(["机井编码", "取水户名称"])
    for n in range(300):
        sheet.append(
            [f"CJ-{n:03d}", f"  取水户{n} & <{n}>  ", n * 1.5, datetime.date(2023, 1, 1) + datetime.timedelta(n)]
        )
    content = saved(book)

    assert our_rows(content, 4)[0] == openpyxl_rows(content, 4)


SHEET = """<?xml version="1.0" encoding="UTF-8"?>{doctype}
<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<x:sheetData>
<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:r><x:t>富</x:t></x:r><x:r><x:t xml:space="preserve">文本 </x:t></x:r>
<x:rPh sb="0" eb="1"><x:t>ふ</x:t></x:rPh></x:is></x:c><x:c t="str"><x:f>A1&amp;"x"</x:f><x:v>公式结果</x:v></x:c>
<x:c t="e"><x:v>#N/A</x:v></x:c><x:c r="E2"><x:f>SUM(1,2)</x:f></x:c></x:row>
<x:row><x:c r="B3" t="b"><x:v>1</x:v></x:c><x:c t="d"><x:v>2023-11-30T08:00:00</x:v></x:c>
<x:c r="D3"><x:v>1.5E2</x:v></x:c><x:c r="E3" t="inlineStr"></x:c><x:c r="F3" t="s"><x:v>0</x:v></x:c></x:row>
</x:sheetData>
<x:mergeCells count="2"><x:mergeCell ref="B3:B9"/><x:mergeCell ref="A1"/></x:mergeCells>
</x:worksheet>"""


def handmade(sheet_xml):
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="xl/workbook.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="手写" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
            '<Relationship Id="rId2" Target="sharedStrings.xml" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
            "</Relationships>"
        ),
        "xl/sharedStrings.xml": (
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">'
            "<si><t>共享</t></si></sst>"
        ),
        "xl/worksheets/sheet1.xml": sheet_xml,
    }
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode())
    return stream.getvalue()


def test_prefixed_elements_rich_text_formulas_and_cells_without_references_read_as_openpyxl_reads_them():
    content = handmade(SHEET.format(doctype=""))

    rows, sheet = our_rows(content, 6)

    assert rows == openpyxl_rows(content, 6)
    assert rows[1] == ("富文本 ", "公式结果", "#N/A", None, None, None)
    assert rows[2] == (None, True, datetime.datetime(2023, 11, 30, 8), 150.0, None, "共享")
    # The formula in E2 has no saved result; B3 is merged down to row 9.
    assert sheet.unsaved_formulas == {(2, 4)}
    assert sheet.merges == {(1, 3, 9)}


def test_a_sheet_that_declares_a_document_type_is_refused():
    content = handmade(SHEET.format(doctype='<!DOCTYPE x [<!ENTITY a "aaaa">]>'))
    book = WorkbookReader(io.BytesIO(content))
    (_title, path), *_others = book.sheets

    with pytest.raises(ForbiddenXML):
        list(book.sheet(path, max_col=6).rows())
    book.close()


def test_a_sheet_that_is_not_xml_is_refused():
    content = handmade("<worksheet><sheetData><row><c><v>1</v></row></sheetData></worksheet>")
    book = WorkbookReader(io.BytesIO(content))
    (_title, path), *_others = book.sheets

    with pytest.raises(ExpatError):
        list(book.sheet(path, max_col=6).rows())
    book.close()
