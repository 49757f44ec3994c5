"""The import on files made by real office software (issue 13): CSVs and
openpyxl workbooks converted by LibreOffice (``soffice --headless
--convert-to xlsx|xlsm|xls|ods``), then imported through the API; each
case asserts the values read back through the API and the warnings or
errors named with sheet, row and field.

The conversions run once per test session (soffice takes seconds to
start): the ``office`` fixture writes every source below, converts them
all in one soffice run per target format and hands out the files' bytes.
CI installs LibreOffice (.ci/run); without soffice these tests skip."""

import datetime
import io
import shutil
import subprocess

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from wells.excel import HEADERS
from wells.models import Well

SOFFICE = shutil.which("soffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc); CI installs it"
)

IMPORT_URL = reverse("api:import-wells")
FILTERS = {
    "xlsx": "xlsx:Calc MS Excel 2007 XML",
    "xlsm": "xlsm:Calc MS Excel 2007 VBA XML",
    "xls": "xls:MS Excel 97",
    "ods": "ods:calc8",
}


def values(code, **changes):
    """A row of the contract's columns, by header."""
    row = {
        "机井编码": code,
        "取水户名称": f"取水户{code}",
        "取水户类型": "个人",
        "乡镇(街道)": "中山路街道",
        "村(社区)": "一村",
        "经度": 87.308611,
        "纬度": 44.016111,
        "所在区域": "禁采区",
        "用途": "生活、农灌",
        "井深(米)": 80,
        "取水许可证号": None,
        "电表号": "6530010021001",
        "类别": "未经审批",
        "责任单位": "中山路街道办事处",
        "责任人": "张三",
        "限期": datetime.date(2023, 11, 30),
        "备注": None,
    }
    row.update(changes)
    return row


def book_bytes(sheets, *, edit=None):
    """An openpyxl workbook: ``sheets`` is [(title, rows)] where each row is
    a list of values; ``edit(book)`` changes it before it is saved."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    if edit is not None:
        edit(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table(rows, headers=HEADERS, title="昌吉市地下水禁采区机电井关停信息统计明细表"):
    return [[title], list(headers), *([row.get(header) for header in headers] for row in rows)]


def hide_row_and_column(book):
    sheet = book.active
    sheet.row_dimensions[4].hidden = True
    sheet.column_dimensions["L"].hidden = True


def two_row_header(book):
    sheet = book.active
    sheet.insert_rows(2)
    for column in range(1, 18):
        sheet.cell(row=2, column=column, value=sheet.cell(row=3, column=column).value)
    for column in range(1, 18):
        sheet.cell(row=3, column=column, value=None)
    # 取水户 over 名称 and 类型; 坐标 over 经度 and 纬度; the rest over both rows.
    sheet["B2"], sheet["B3"], sheet["C3"] = "取水户", "名称", "类型"
    sheet["F2"], sheet["F3"], sheet["G3"] = "坐标", "经度", "纬度"
    sheet.merge_cells("B2:C2")
    sheet.merge_cells("F2:G2")
    for column in "ADEHIJKLMNOPQ":
        sheet.merge_cells(f"{column}2:{column}3")


def duplicate_meter_column(book):
    sheet = book.active
    sheet["R2"] = "电表号"
    sheet["R3"] = "旧表号1"
    sheet.column_dimensions["R"].hidden = True


def csv_text(rows, headers=HEADERS):
    lines = [",".join(headers)]
    for row in rows:
        cells = []
        for header in headers:
            value = row.get(header)
            cells.append("" if value is None else value.isoformat() if isinstance(value, datetime.date) else str(value))
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


# name -> (the source's suffix, its bytes, the formats it is converted to)
SOURCES = {
    "formats": (
        ".xlsx",
        lambda: book_bytes([("机井台账", table([values("CJ-F-001"), values("CJ-F-002", 用途="农灌")]))]),
        ("xlsx", "xlsm", "xls", "ods"),
    ),
    "sheets": (
        ".xlsx",
        lambda: book_bytes(
            [
                ("中山路街道", table([values("CJ-S-001"), values("CJ-S-002")])),
                (
                    "宁边路街道",
                    table([values("CJ-S-003", **{"乡镇(街道)": "宁边路街道", "责任单位": "宁边路街道办事处"})]),
                ),
                ("说明", [["本表由各乡镇填报，汇总后报水利局。"]]),
            ]
        ),
        ("xlsx", "ods"),
    ),
    "synonyms": (
        ".xlsx",
        lambda: book_bytes(
            [
                (
                    "台账",
                    table(
                        [
                            {
                                "机井编号": "CJ-Y-001",
                                "取水权人": "某公司",
                                "取水户类型": "企业",
                                "街乡": "中山路街道",
                                "经度（°）": 87.308611,
                                "纬度(°)": 44.016111,
                                "用途": "工业",
                                "井深\n(m)": 120,
                                "电子证号": "取水(昌)字〔2015〕第021号",
                                "机井类别": "有证不合规",
                                "责任主体": "中山路街道办事处",
                                "限期（完成时间）": "2023年11月30日",
                            }
                        ],
                        headers=(
                            "机井编号",
                            "取水权人",
                            "取水户类型",
                            "街乡",
                            "经度（°）",
                            "纬度(°)",
                            "用途",
                            "井深\n(m)",
                            "电子证号",
                            "机井类别",
                            "责任主体",
                            "限期（完成时间）",
                        ),
                    ),
                )
            ]
        ),
        ("xlsx",),
    ),
    "two_row_header": (
        ".xlsx",
        lambda: book_bytes([("台账", table([values("CJ-T-001"), values("CJ-T-002")]))], edit=two_row_header),
        ("xls", "ods"),
    ),
    "missing_column": (
        ".xlsx",
        lambda: book_bytes([("台账", table([values("CJ-M-001")], headers=[h for h in HEADERS if h != "类别"]))]),
        ("xlsx",),
    ),
    "unknown_column": (
        ".xlsx",
        lambda: book_bytes(
            [("台账", table([{**values("CJ-U-001"), "联系电话": "13800000000"}], headers=(*HEADERS, "联系电话")))]
        ),
        ("ods",),
    ),
    "column_twice": (
        ".xlsx",
        lambda: book_bytes([("台账", table([values("CJ-D-001")]))], edit=duplicate_meter_column),
        ("xlsx",),
    ),
    "hidden": (
        ".xlsx",
        lambda: book_bytes(
            [("台账", table([values("CJ-H-001"), values("CJ-H-002"), values("CJ-H-003")]))], edit=hide_row_and_column
        ),
        ("xlsx", "xls", "ods"),
    ),
    "numbers": (
        ".csv",
        lambda: csv_text(
            [
                values("CJ-N-001", 电表号="6530010021001"),
                values("CJ-N-002", 电表号="00123"),
                values("CJ-N-003", 电表号="1234567890123456789012"),
            ]
        ).encode(),
        ("xlsx",),
    ),
    "serial_numbers": (
        ".xlsx",
        lambda: book_bytes(
            [
                (
                    "台账",
                    [
                        ["机井台账"],
                        ["序号", *HEADERS],
                        *([n, *(values(f"CJ-Q-00{n}").get(h) for h in HEADERS)] for n in (1, 2, 3)),
                        # The 序号 filled down past the data, as clerks drag it.
                        *([n] for n in range(4, 40)),
                    ],
                )
            ]
        ),
        ("xls",),
    ),
}


@pytest.fixture(scope="session")
def office(tmp_path_factory):
    """name, format -> the bytes of SOURCES[name] converted by LibreOffice."""
    source_dir = tmp_path_factory.mktemp("office-sources")
    out_dir = tmp_path_factory.mktemp("office-files")
    profile = tmp_path_factory.mktemp("office-profile")
    by_format = {}
    for name, (suffix, make, formats) in SOURCES.items():
        path = source_dir / f"{name}{suffix}"
        path.write_bytes(make())
        for fmt in formats:
            by_format.setdefault(fmt, []).append(path)
    for fmt, paths in by_format.items():
        target = out_dir / fmt
        subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--infilter=CSV:44,34,76,1",
                "--convert-to",
                FILTERS[fmt],
                "--outdir",
                str(target),
                *map(str, paths),
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )

    def converted(name, fmt):
        return (out_dir / fmt / f"{name}.{fmt}").read_bytes()

    return converted


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def api(staff, zhongshan, ningbian, campaign):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(staff)
    return client


def post(api, content, name, **data):
    return api.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content), **data}, format="multipart")


def well(api, code):
    response = api.get(reverse("api:well-detail", args=[code]))
    assert response.status_code == 200, response.content
    return response.json()


def issues(body, kind):
    return {(issue["sheet"], issue["row"], issue["field"]) for issue in body[kind]}


# 1. Every format ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "xlsm", "xls", "ods"])
def test_a_workbook_saved_by_libreoffice_in_each_format_is_read_value_for_value(api, office, fmt):
    response = post(api, office("formats", fmt), f"台账.{fmt}")

    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["errors"]) == (2, [])
    first = well(api, "CJ-F-001")
    assert (first["owner_name"], first["township"], first["village"]) == ("取水户CJ-F-001", "zhongshanlu", "一村")
    assert (first["lng"], first["lat"], first["depth_m"]) == (87.308611, 44.016111, 80.0)
    assert (first["uses"], first["deadline"], first["meter_no"]) == (
        ["domestic", "irrigation"],
        "2023-11-30",
        "6530010021001",
    )
    assert (first["category"], first["owner_kind"], first["zone"]) == ("unlicensed", "person", "prohibited")
    assert well(api, "CJ-F-002")["uses"] == ["irrigation"]


@pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("gb18030", b""), ("gbk", b"")]
)
def test_a_csv_in_utf8_with_or_without_bom_or_in_gbk_is_read(api, encoding, bom):
    text = csv_text([values("CJ-C-001", 电表号="00123", 限期="2023/11/30")])

    response = post(api, bom + text.encode(encoding), "台账.csv")

    assert response.status_code == 200, response.content
    found = well(api, "CJ-C-001")
    # Text stays text: the leading zeros are kept.
    assert (found["owner_name"], found["meter_no"], found["deadline"]) == ("取水户CJ-C-001", "00123", "2023-11-30")
    assert response.json()["warnings"] == []


# 2. Every sheet ---------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "ods"])
def test_every_sheet_with_the_header_is_imported_and_the_others_are_named(api, office, fmt):
    response = post(api, office("sheets", fmt), f"各乡镇.{fmt}", dry_run="true")

    body = response.json()
    assert response.status_code == 200, body
    assert [(line["sheet"], line["row"], line["code"]) for line in body["rows"]] == [
        ("中山路街道", 3, "CJ-S-001"),
        ("中山路街道", 4, "CJ-S-002"),
        ("宁边路街道", 3, "CJ-S-003"),
    ]
    assert issues(body, "warnings") == {("说明", None, None)}
    assert "“说明”" in body["warnings"][0]["message"]

    response = post(api, office("sheets", fmt), f"各乡镇.{fmt}")

    assert response.json()["created"] == 3
    assert well(api, "CJ-S-003")["township"] == "ningbianlu"


# 3. Headers as people write them -------------------------------------------------------


def test_header_synonyms_with_full_width_brackets_and_line_breaks_are_read(api, office):
    response = post(api, office("synonyms", "xlsx"), "台账.xlsx")

    assert response.status_code == 200, response.content
    assert response.json()["warnings"] == []
    found = well(api, "CJ-Y-001")
    assert (found["owner_name"], found["owner_kind"], found["township"]) == ("某公司", "enterprise", "zhongshanlu")
    assert (found["lng"], found["lat"], found["depth_m"]) == (87.308611, 44.016111, 120.0)
    assert (found["license_no"], found["category"], found["deadline"]) == (
        "取水(昌)字〔2015〕第021号",
        "licensed",
        "2023-11-30",
    )
    assert found["responsible_unit_name"] == "中山路街道办事处"


@pytest.mark.parametrize("fmt", ["xls", "ods"])
def test_a_two_row_merged_header_is_flattened(api, office, fmt):
    response = post(api, office("two_row_header", fmt), f"台账.{fmt}")

    assert response.status_code == 200, response.content
    assert response.json()["created"] == 2
    found = well(api, "CJ-T-002")
    assert (found["owner_name"], found["owner_kind"]) == ("取水户CJ-T-002", "person")
    assert (found["lng"], found["lat"]) == (87.308611, 44.016111)


def test_a_missing_required_column_is_refused_naming_it(api, office):
    response = post(api, office("missing_column", "xlsx"), "台账.xlsx")

    assert response.status_code == 400
    assert issues(response.json(), "errors") == {("台账", 2, "类别")}
    assert not Well.objects.exists()


def test_an_unrecognised_column_is_a_warning_naming_it(api, office):
    response = post(api, office("unknown_column", "ods"), "台账.ods")

    assert response.status_code == 200, response.content
    assert issues(response.json(), "warnings") == {("台账", 2, "联系电话")}
    assert "column R" in response.json()["warnings"][0]["message"]
    assert well(api, "CJ-U-001")["owner_name"] == "取水户CJ-U-001"


def test_the_same_column_twice_is_refused_naming_both_even_when_one_is_hidden(api, office):
    response = post(api, office("column_twice", "xlsx"), "台账.xlsx")

    assert response.status_code == 400
    body = response.json()
    assert ("台账", 2, "电表号") in issues(body, "errors")
    (error,) = [error for error in body["errors"] if error["field"] == "电表号"]
    assert "column L" in error["message"] and "column R" in error["message"] and "hidden" in error["message"]
    assert not Well.objects.exists()


# 4. Values --------------------------------------------------------------------------


def test_identifiers_that_lost_digits_are_refused_and_lost_zeros_warned(api, office):
    # LibreOffice reads the CSV's 00123 and 1234567890123456789012 as numbers.
    content = office("numbers", "xlsx")

    response = post(api, content, "numbers.xlsx")

    assert response.status_code == 400
    body = response.json()
    assert issues(body, "errors") == {("numbers", 4, "电表号")}
    assert "format the column as text" in body["errors"][0]["message"].lower()
    assert ("numbers", 3, "电表号") in issues(body, "warnings")
    assert ("numbers", 1, "电表号") in issues(body, "warnings")  # the column holds numbers
    assert not Well.objects.exists()


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_hidden_rows_and_columns_are_imported_with_a_warning(api, office, fmt):
    response = post(api, office("hidden", fmt), f"台账.{fmt}")

    assert response.status_code == 200, response.content
    assert issues(response.json(), "warnings") == {("台账", 4, None), ("台账", 2, "电表号")}
    assert well(api, "CJ-H-002")["meter_no"] == "6530010021001"


def test_rows_with_nothing_but_a_serial_number_are_skipped(api, office):
    response = post(api, office("serial_numbers", "xls"), "台账.xls")

    assert response.status_code == 200, response.content
    assert (response.json()["created"], response.json()["errors"]) == (3, [])
    assert sorted(Well.objects.values_list("code", flat=True)) == ["CJ-Q-001", "CJ-Q-002", "CJ-Q-003"]
