"""The inventory import (DESIGN §5, §6): messy but valid workbooks read as a
person reads them, bad ones refused whole with every bad row named, and
hostile files answered 400 before openpyxl opens them."""

import datetime
import io
import math
import struct
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from tasks.models import Duty, Task
from tests.factories import CampaignFactory, WellFactory
from wells import excel
from wells.choices import Category, OwnerKind, Status, Use, Zone
from wells.excel import inventory
from wells.models import Well, WellChange

IMPORT_URL = reverse("api:import-wells")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def row(code, **changes):
    """A valid row of the template for a 中山路 well, as a dict by header."""
    values = {
        "机井编码": code,
        "取水户名称": f"取水户{code}",
        "取水户类型": "个人",
        "乡镇(街道)": "中山路街道",
        "村(社区)": "一村",
        "经度": 87.308611,
        "纬度": 44.016111,
        "所在区域": "禁采区",
        "用途": "农灌",
        "井深(米)": 80,
        "取水许可证号": "",
        "电表号": "6530010021001",
        "类别": "未经审批",
        "责任单位": "中山路街道办事处",
        "责任人": "张三",
        "限期": datetime.date(2023, 11, 30),
        "备注": "",
    }
    values.update(changes)
    return values


def workbook(rows, *, headers=excel.HEADERS, above=(), merges=(), edit=None):
    """The bytes of an .xlsx with ``above`` rows (titles) over the header
    row and one row per dict of ``rows``."""
    book = openpyxl.Workbook()
    sheet = book.active
    for line in above:
        sheet.append(list(line))
    sheet.append(list(headers))
    for values in rows:
        sheet.append([values.get(header) for header in headers])
    for merge in merges:
        sheet.merge_cells(merge)
    if edit is not None:
        edit(sheet)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content, name="台账.xlsx"):
    return SimpleUploadedFile(name, content, content_type=XLSX)


def run_import(content, campaign, *, actor, **kwargs):
    return excel.import_wells(upload(content), campaign=campaign, actor=actor, **kwargs)


@pytest.fixture(autouse=True)
def english():
    """The messages in their English source; the API tests ask for English
    with Accept-Language."""
    with translation.override("en"):
        yield


@pytest.fixture
def places(zhongshan, ningbian):
    """The two townships and their governments, for the lookups."""
    return zhongshan, ningbian


@pytest.fixture
def client_for():
    def make(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.force_authenticate(user)
        return client

    return make


# Reading real files -------------------------------------------------------


def test_a_filled_in_template_creates_its_wells_and_skips_the_example_row(places, campaign, staff):
    book = openpyxl.load_workbook(excel.template_workbook())
    sheet = book["机井台账"]
    for code in ("CJ-001", "CJ-002"):
        sheet.append([row(code)[header] for header in excel.HEADERS])
    out = io.BytesIO()
    book.save(out)

    result = run_import(out.getvalue(), campaign, actor=staff)

    assert (result.created, result.updated, result.errors) == (2, 0, [])
    assert sorted(Well.objects.values_list("code", flat=True)) == ["CJ-001", "CJ-002"]
    well = Well.objects.get(code="CJ-001")
    assert well.status == Status.INVENTORIED
    assert well.campaign == campaign
    assert well.responsible_unit.name == "中山路街道办事处"
    assert well.uses == [Use.IRRIGATION]
    assert well.deadline == datetime.date(2023, 11, 30)
    assert well.meter_no == "6530010021001"


def test_title_rows_merged_cells_and_untidy_headers_are_read_as_a_person_reads_them(places, campaign, staff):
    headers = list(excel.HEADERS)
    headers[3] = " 乡镇（街道） "  # full-width brackets, stray spaces
    headers[9] = "井深（米）"
    headers[4] = "村（社区）\n"
    rows = [
        {
            **row("ＣＪ－００１"),  # full-width letters and digits
            " 乡镇（街道） ": "中山路街道",
            "井深（米）": "８０米",
            "村（社区）\n": "一村",
        },
        {**row("CJ-002"), " 乡镇（街道） ": None, "井深（米）": 95.5, "村（社区）\n": "二村", "责任单位": None},
        {**row("CJ-003"), " 乡镇（街道） ": None, "井深（米）": None, "村（社区）\n": "三村", "责任单位": None},
    ]
    content = workbook(
        rows,
        headers=headers,
        above=[
            ["昌吉市地下水禁采区机电井关停信息统计明细表"],
            ["填报单位：中山路街道办事处", None, "日期：2023年6月1日"],
        ],
        # The township and the responsible unit written once beside three
        # wells, and the title across the whole width.
        merges=["A1:Q1", "D4:D6", "N4:N6"],
    )

    result = run_import(content, campaign, actor=staff)

    assert result.errors == []
    assert result.created == 3
    first, second, third = Well.objects.order_by("code")
    assert first.code == "CJ-001"
    assert first.depth_m == Decimal("80.00")
    assert second.depth_m == Decimal("95.50")
    assert third.depth_m is None
    assert {well.township.name for well in (first, second, third)} == {"中山路街道"}
    assert {well.responsible_unit.name for well in (first, second, third)} == {"中山路街道办事处"}
    assert [well.village for well in (first, second, third)] == ["一村", "二村", "三村"]


def test_a_two_row_header_with_coordinates_under_a_merged_heading_is_read(places, campaign, staff):
    def two_row_header(sheet):
        sheet.insert_rows(1)
        for column in range(1, 18):
            sheet.cell(row=1, column=column, value=sheet.cell(row=2, column=column).value)
        sheet.cell(row=1, column=6, value="坐标")
        sheet.cell(row=1, column=7, value=None)
        for column in range(1, 18):
            if column not in (6, 7):
                sheet.cell(row=2, column=column, value=None)
        sheet.merge_cells("F1:G1")

    result = run_import(workbook([row("CJ-001")], edit=two_row_header), campaign, actor=staff)

    assert result.errors == []
    well = Well.objects.get(code="CJ-001")
    assert (well.lng, well.lat) == (Decimal("87.308611"), Decimal("44.016111"))


@pytest.mark.parametrize(
    "written",
    [
        datetime.date(2023, 11, 30),
        datetime.datetime(2023, 11, 30, 0, 0),
        "2023年11月30日",
        "2023/11/30",
        "2023.11.30",
        "2023-11-30",
        "２０２３年１１月３０日",
        "2023年11月30号",
        "2023-11-30 00:00:00",
        20231130,
    ],
)
def test_a_deadline_is_read_in_every_way_clerks_write_dates(places, campaign, staff, written):
    result = run_import(workbook([row("CJ-001", 限期=written)]), campaign, actor=staff)

    assert result.errors == []
    assert Well.objects.get().deadline == datetime.date(2023, 11, 30)


@pytest.mark.parametrize(
    "written", ["生活、农灌", "生活,农灌", "生活，农灌", "生活；农灌", "生活/农灌", "生活 农灌", "农灌、生活、农灌"]
)
def test_uses_are_read_with_any_separator(places, campaign, staff, written):
    result = run_import(workbook([row("CJ-001", 用途=written)]), campaign, actor=staff)

    assert result.errors == []
    assert Well.objects.get().uses == [Use.DOMESTIC, Use.IRRIGATION]


@pytest.mark.parametrize(
    ("longitude", "latitude"),
    [
        ("87°18′30″", "44°0′57.6″"),
        ("87°18'30\"", "44°0'57.6\""),
        ("87度18分30秒", "44度0分57.6秒"),
        ("东经87°18′30″", "北纬44°0′57.6″"),
        ("８７°１８′３０″", "44.016"),
        (87.308333, 44.016),
        ("87.308333", "44.016"),
    ],
)
def test_coordinates_are_read_as_decimal_degrees_or_degrees_minutes_seconds(
    places, campaign, staff, longitude, latitude
):
    result = run_import(workbook([row("CJ-001", 经度=longitude, 纬度=latitude)]), campaign, actor=staff)

    assert result.errors == []
    well = Well.objects.get()
    assert well.lng == Decimal("87.308333")
    assert well.lat == Decimal("44.016000")


def test_owner_kinds_zones_and_categories_are_read_from_their_chinese_words_or_codes(places, campaign, staff):
    rows = [
        row(
            "CJ-001", 取水户类型="企业", 所在区域="限采区", 类别="有证不合规", 取水许可证号="取水(昌)字〔2015〕第021号"
        ),
        row("CJ-002", 取水户类型="事业单位/机关", 类别="保留", 用途="城市应急水源"),
        row("CJ-003", 取水户类型="村集体", 类别="unlicensed", 所在区域="prohibited"),
        row("CJ-004", 取水户类型="机关", 所在区域=None),
    ]

    result = run_import(workbook(rows), campaign, actor=staff)

    assert result.errors == []
    wells = {well.code: well for well in Well.objects.all()}
    assert (wells["CJ-001"].owner_kind, wells["CJ-001"].zone, wells["CJ-001"].category) == (
        OwnerKind.ENTERPRISE,
        Zone.RESTRICTED,
        Category.LICENSED,
    )
    assert wells["CJ-001"].license_no == "取水(昌)字〔2015〕第021号"
    assert (wells["CJ-002"].owner_kind, wells["CJ-002"].category) == (OwnerKind.INSTITUTION, Category.RETAINED)
    assert wells["CJ-003"].owner_kind == OwnerKind.COLLECTIVE
    assert wells["CJ-004"].zone == Zone.PROHIBITED  # an empty zone is the model's default


def test_a_township_and_a_unit_are_found_by_any_of_their_names(places, campaign, staff, zhongshan_unit):
    zhongshan_unit.short_name = "中山路街道"
    zhongshan_unit.save()
    rows = [
        row("CJ-001", **{"乡镇(街道)": "zhongshanlu"}),
        row("CJ-002", **{"乡镇(街道)": "中山路街道办事处", "责任单位": "中山路街道"}),
        row("CJ-003", **{"乡镇(街道)": " 中山路街道 "}),
    ]

    result = run_import(workbook(rows), campaign, actor=staff)

    assert result.errors == []
    assert set(Well.objects.values_list("township__code", "responsible_unit__name")) == {
        ("zhongshanlu", "中山路街道办事处")
    }


def test_a_new_well_without_a_responsible_unit_is_the_townships(places, campaign, staff):
    headers = tuple(header for header in excel.HEADERS if header != "责任单位")

    result = run_import(
        workbook([row("CJ-001", **{"乡镇(街道)": "宁边路街道"})], headers=headers), campaign, actor=staff
    )

    assert result.errors == []
    assert Well.objects.get().responsible_unit.name == "宁边路街道办事处"


def test_totals_and_signature_rows_under_the_data_are_not_wells(places, campaign, staff):
    def footer(sheet):
        sheet.append(["合计", "3眼"])
        sheet.append([])
        sheet.append(["填表人：张三", None, "审核人：李四"])

    result = run_import(workbook([row("CJ-001"), row("CJ-002"), row("CJ-003")], edit=footer), campaign, actor=staff)

    assert result.errors == []
    assert result.created == 3


def test_a_dash_or_无_in_an_optional_cell_means_nothing(places, campaign, staff):
    result = run_import(workbook([row("CJ-001", 取水许可证号="无", 电表号="—", 备注="/")]), campaign, actor=staff)

    assert result.errors == []
    well = Well.objects.get()
    assert (well.license_no, well.meter_no, well.note) == ("", "", "")


def test_the_columns_may_come_in_any_order_with_columns_of_their_own(places, campaign, staff):
    headers = ("序号", *reversed(excel.HEADERS), "联系电话")
    rows = [{**row("CJ-001"), "序号": 1, "联系电话": "13800000000"}]

    result = run_import(workbook(rows, headers=headers), campaign, actor=staff)

    assert result.errors == []
    assert Well.objects.get().owner_name == "取水户CJ-001"


# Re-import ---------------------------------------------------------------------


def test_reimporting_a_code_updates_that_well_and_never_its_status(places, campaign, staff, zhongshan):
    well = WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, status=Status.NOTIFIED, version=3)
    other_campaign = CampaignFactory(name="另一行动")

    result = run_import(
        workbook([row("CJ-001", 取水户名称="王五", 用途="生活、农灌", 电表号=None)]), other_campaign, actor=staff
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    assert Well.objects.count() == 1
    well.refresh_from_db()
    assert well.owner_name == "王五"
    assert well.uses == [Use.DOMESTIC, Use.IRRIGATION]
    assert well.status == Status.NOTIFIED
    assert well.campaign == campaign  # the campaign is for new wells
    assert well.meter_no.startswith("M")  # an empty cell keeps the value
    # Like any change of facts, the import bumps the version, so that a
    # client holding the old one is refused instead of overwriting it.
    assert well.version == 4


def test_reimporting_an_unchanged_well_changes_nothing(places, campaign, staff):
    run_import(workbook([row("CJ-001")]), campaign, actor=staff)
    before = Well.objects.get()

    result = run_import(workbook([row("CJ-001")]), campaign, actor=staff)

    after = Well.objects.get()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert (after.version, after.updated_at) == (before.version, before.updated_at)


def test_a_status_column_in_the_file_is_ignored(places, campaign, staff, zhongshan):
    WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, status=Status.INVENTORIED)
    headers = (*excel.HEADERS, "状态")

    result = run_import(workbook([{**row("CJ-001"), "状态": "已验收销号"}], headers=headers), campaign, actor=staff)

    assert result.errors == []
    assert Well.objects.get().status == Status.INVENTORIED


def test_a_dry_run_says_what_would_happen_and_writes_nothing(places, campaign, staff, zhongshan):
    WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, owner_name="旧名", meter_no="M1")

    result = run_import(
        workbook([row("CJ-001", 取水户名称="新名", 经度=87.3, 纬度=44.01, 电表号="M1"), row("CJ-002")]),
        campaign,
        actor=staff,
        dry_run=True,
    )

    assert (result.created, result.updated, result.errors) == (1, 1, [])
    unit = Well.objects.get().responsible_unit_id
    assert result.as_dict()["rows"] == [
        {
            "sheet": "Sheet",
            "row": 2,
            "code": "CJ-001",
            "action": "update",
            "changes": {"owner_name": ["旧名", "新名"]},
        },
        # Every field the row fills; the licence and the note are empty.
        {
            "sheet": "Sheet",
            "row": 3,
            "code": "CJ-002",
            "action": "create",
            "changes": {
                "category": [None, "unlicensed"],
                "code": [None, "CJ-002"],
                "deadline": [None, "2023-11-30"],
                "depth_m": [None, "80.00"],
                "lat": [None, "44.016111"],
                "lng": [None, "87.308611"],
                "meter_no": [None, "6530010021001"],
                "owner_kind": [None, "person"],
                "owner_name": [None, "取水户CJ-002"],
                "responsible_person": [None, "张三"],
                "responsible_unit": [None, unit],
                "township": [None, "zhongshanlu"],
                "uses": [None, ["irrigation"]],
                "village": [None, "一村"],
                "zone": [None, "prohibited"],
            },
        },
    ]
    assert list(Well.objects.values_list("code", "owner_name")) == [("CJ-001", "旧名")]


# Bad rows ------------------------------------------------------------------------


def test_one_bad_row_among_many_writes_nothing_and_names_the_row_and_column(places, campaign, staff):
    rows = [row(f"CJ-{n:03d}") for n in range(1, 41)]
    rows[24]["类别"] = "拆除"  # Excel row 27: one title row, the header, then 25 rows

    result = run_import(workbook(rows, above=[["机电井台账"]]), campaign, actor=staff)

    assert result.errors == [
        {"sheet": "Sheet", "row": 27, "field": "类别", "message": "“拆除” is not one of: 未经审批、有证不合规、保留."}
    ]
    assert result.created == 0
    assert not Well.objects.exists()


def test_every_bad_cell_is_reported_with_a_reason(places, campaign, staff):
    rows = [
        row("CJ-001", 取水户类型="外星人"),
        row("CJ-002", **{"乡镇(街道)": "火星街道"}),
        row("CJ-003", 责任单位="无名单位"),
        row("CJ-004", 用途="生活、挖矿"),
        row("CJ-005", 经度="八十七度"),
        row("CJ-006", 经度=45.1, 纬度=87.3),
        row("CJ-007", 经度=12.5),
        row("CJ-008", 纬度=None),
        row("CJ-009", **{"井深(米)": "很深"}),
        row("CJ-010", **{"井深(米)": 5000}),
        row("CJ-011", 限期="下个月"),
        row("CJ-012", 限期="2023-02-30"),
        row("CJ-013", 经度="87°75′00″"),
        row(None, 取水户名称="没有编码"),
        row("CJ/014"),
        row("CJ-015", 取水户名称=None),
        row("CJ-016", 类别="保留", 用途="农灌", 备注=None),
        row("CJ-017", 取水户名称="长" * 201),
    ]

    result = run_import(workbook(rows), campaign, actor=staff)

    assert not Well.objects.exists()
    found = {(error["row"], error["field"]) for error in result.errors}
    assert found == {
        (2, "取水户类型"),
        (3, "乡镇(街道)"),
        (4, "责任单位"),
        (5, "用途"),
        (6, "经度"),
        (7, "经度"),
        (8, "经度"),
        (9, "纬度"),
        (10, "井深(米)"),
        (11, "井深(米)"),
        (12, "限期"),
        (13, "限期"),
        (14, "经度"),
        (15, "机井编码"),
        (16, "机井编码"),
        (17, "取水户名称"),
        (18, "备注"),
        (19, "取水户名称"),
    }
    messages = {error["row"]: error["message"] for error in result.errors}
    assert messages[3] == "No township or street is called “火星街道”."
    assert messages[5].startswith("“挖矿” is not a use")
    assert messages[7].startswith("Longitude and latitude look swapped")
    assert messages[8] == "The longitude 12.500000 is outside China (from 73 to 135)."
    assert messages[9] == "Give both longitude and latitude, or neither."
    assert messages[13] == "“2023-02-30” is not a day of the calendar."
    assert messages[15] == "Fill in the well code."
    assert messages[16] == "A well code cannot contain “/” or be “.” or “..”."
    assert messages[17] == "Fill this in: CJ-015 is a new well."
    assert messages[19] == "Too long: 200 characters at most."


@pytest.mark.parametrize("value", [1e30, float("inf"), "1e30", "87.3.4"])
def test_a_number_that_is_no_coordinate_is_refused(places, campaign, staff, value):
    result = run_import(workbook([row("CJ-001", 经度=value)]), campaign, actor=staff)

    assert [(error["row"], error["field"]) for error in result.errors] == [(2, "经度")]


def test_wells_created_by_someone_else_during_the_import_are_not_overwritten(
    places, campaign, staff, zhongshan, monkeypatch
):
    WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, owner_name="先到者")
    # As if the well was created after the import looked for existing codes.
    monkeypatch.setattr(inventory, "_existing_wells", lambda codes, **kwargs: ({}, set()))

    with pytest.raises(excel.ImportFileError, match="added by someone else"):
        run_import(workbook([row("CJ-002"), row("CJ-001")]), campaign, actor=staff)

    assert list(Well.objects.values_list("code", "owner_name")) == [("CJ-001", "先到者")]


def test_a_code_twice_in_one_file_is_refused(places, campaign, staff):
    result = run_import(workbook([row("CJ-001"), row("CJ-002"), row("ＣＪ-001")]), campaign, actor=staff)

    assert result.errors == [
        {
            "sheet": "Sheet",
            "row": 4,
            "field": "机井编码",
            "message": "The well code CJ-001 is also in row 2: each well once per file.",
        }
    ]
    assert not Well.objects.exists()


def test_a_missing_required_column_is_named_once_at_the_header_row(places, campaign, staff):
    headers = tuple(header for header in excel.HEADERS if header != "类别")

    result = run_import(
        workbook([row("CJ-001"), row("CJ-002")], headers=headers, above=[["标题"]]), campaign, actor=staff
    )

    assert result.errors == [
        {
            "sheet": "Sheet",
            "row": 2,
            "field": "类别",
            "message": "The column “类别” is missing; new wells (such as CJ-001 in row 3) need it.",
        }
    ]


def test_a_file_of_updates_needs_only_the_columns_it_changes(places, campaign, staff, zhongshan):
    WellFactory(code="CJ-001", township=zhongshan, campaign=campaign)
    content = workbook(
        [{"机井编码": "CJ-001", "责任人": "赵六", "取水户名称": "赵六"}], headers=("机井编码", "取水户名称", "责任人")
    )

    result = run_import(content, campaign, actor=staff)

    assert (result.updated, result.errors) == (1, [])
    assert Well.objects.get().responsible_person == "赵六"


def test_text_that_is_a_formula_is_refused_and_never_evaluated(places, campaign, staff):
    def formulas(sheet):
        sheet["B2"] = '=HYPERLINK("http://example.com","点我")'
        sheet["B2"].data_type = "s"  # typed as text
        sheet["Q3"] = "=1+1"  # a formula cell that no spreadsheet has calculated

    result = run_import(workbook([row("CJ-001"), row("CJ-002")], edit=formulas), campaign, actor=staff)

    assert {(error["row"], error["field"]) for error in result.errors} == {(2, "取水户名称"), (3, "备注")}
    assert "formula" in result.errors[0]["message"]
    assert not Well.objects.exists()


def test_the_apostrophe_the_export_puts_before_formula_characters_is_dropped(places, campaign, staff):
    result = run_import(workbook([row("CJ-001", 取水户名称="'-张三", 备注="'=SUM(A1)")]), campaign, actor=staff)

    assert result.errors == []
    well = Well.objects.get()
    assert (well.owner_name, well.note) == ("-张三", "=SUM(A1)")


def test_the_import_reads_the_file_in_a_handful_of_queries(
    places, campaign, staff, zhongshan, django_assert_max_num_queries
):
    WellFactory.create_batch(5, township=zhongshan, campaign=campaign)
    rows = [row(f"CJ-{n:04d}") for n in range(1, 1201)] + [
        row(code, 取水户名称="改名") for code in Well.objects.values_list("code", flat=True)
    ]
    content = workbook(rows)

    # Townships, units, the savepoint and its release, the importer's role;
    # per chunk of codes (two) the existing wells, locked, and the codes of
    # the others held out of the importer's scope; that the new wells'
    # campaign, townships and units are in the importer's reach (one query
    # each; wells.changes.refuse_unreached); the campaign's duties
    # (for the new wells' tasks); one bulk update and its history records;
    # and the new wells, their history records and their tasks: on
    # PostgreSQL each one COPY after the query that takes its ids and sets
    # the history triggers' context (wellclosure/bulk.py), elsewhere
    # inserts in batches of 1000 (SQLite's 999 parameters make them
    # smaller): never a query per row.
    def inserts(model, count):
        if connection.vendor == "postgresql":
            return 2
        fields = [field for field in model._meta.concrete_fields if not field.primary_key]
        return math.ceil(count / min(1000, connection.ops.bulk_batch_size(fields, [None] * count)))

    tasks = 1200 * Duty.objects.filter(campaign=campaign).count()
    with django_assert_max_num_queries(15 + inserts(Well, 1200) + inserts(WellChange, 1200) + inserts(Task, tasks)):
        result = run_import(content, campaign, actor=staff)

    assert (result.created, result.updated) == (1200, 5)
    assert Well.objects.count() == 1205
    assert WellChange.objects.count() == 1205


@pytest.mark.skipif(connection.vendor != "postgresql", reason="Field history is kept by PostgreSQL triggers.")
def test_every_imported_well_has_its_history_from_the_start(places, campaign, staff):
    result = run_import(workbook([row("CJ-001"), row("CJ-002"), row("CJ-003")]), campaign, actor=staff)

    assert result.created == 3
    for well in Well.objects.all():
        assert list(well.history.values_list("pgh_label", flat=True)) == ["insert"]


# Hostile and broken files ---------------------------------------------------------


def zip_bytes(parts, *, compression=zipfile.ZIP_DEFLATED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in parts:
            if callable(data):
                with archive.open(name, "w") as handle:
                    data(handle)
            else:
                archive.writestr(name, data)
    return out.getvalue()


def zeros(megabytes):
    def write(handle):
        block = b"\0" * (1 << 20)
        for _ in range(megabytes):
            handle.write(block)

    return write


def minimal_parts():
    """The parts of a real one-sheet workbook, from openpyxl."""
    with zipfile.ZipFile(io.BytesIO(workbook([row("CJ-001")]))) as archive:
        return [(name, archive.read(name)) for name in archive.namelist()]


def lying_zip():
    """A workbook whose sheet says it unpacks to 100 bytes but holds 50 MB:
    the sizes in the zip's headers are rewritten after the fact."""
    name = "xl/worksheets/sheet1.xml"
    parts = [(part, data) for part, data in minimal_parts() if part != name]
    content = bytearray(zip_bytes([*parts, (name, zeros(50))]))
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        info = archive.getinfo(name)
    struct.pack_into("<I", content, info.header_offset + 22, 100)  # the local header
    (entry,) = struct.unpack_from("<I", content, content.rindex(b"PK\x05\x06") + 16)
    while content[entry + 46 : entry + 46 + len(name)] != name.encode():
        entry = content.index(b"PK\x01\x02", entry + 4)
    struct.pack_into("<I", content, entry + 24, 100)  # the central directory
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as archive:
        assert archive.getinfo(name).file_size == 100
    return bytes(content)


LAUGHS = b"""<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>"""


def entity_bomb():
    """A sheet whose owner cell expands an entity that expands entities (the
    "billion laughs")."""
    parts = dict(minimal_parts())
    sheet = parts["xl/worksheets/sheet1.xml"]
    declaration_end = sheet.find(b"?>") + 2 if sheet.startswith(b"<?xml") else 0
    sheet = sheet[:declaration_end] + LAUGHS + sheet[declaration_end:]
    parts["xl/worksheets/sheet1.xml"] = sheet.replace("取水户CJ-001".encode(), b"&lol4;")
    return zip_bytes(parts.items())


HOSTILE_FILES = {
    "empty": (b"", "The file is empty."),
    "text named .xlsx": (
        "机井编码,取水户名称\nCJ-001,张三\n".encode(),
        "This is not a workbook (.xlsx, .xlsm, .xls, .ods)",
    ),
    "damaged xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "The workbook is damaged and cannot be read."),
    "zip that is no workbook": (
        zip_bytes([("readme.txt", b"hello")]),
        "This is not a workbook (.xlsx, .xlsm, .xls, .ods)",
    ),
    "docx renamed": (
        zip_bytes([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", b"<w:document/>")]),
        "This is not a workbook (.xlsx, .xlsm, .xls, .ods)",
    ),
    "truncated workbook": (workbook([row("CJ-001")])[:3000], "The workbook is damaged and cannot be read."),
    "zip bomb": (
        zip_bytes([*minimal_parts()[:-1], ("xl/worksheets/sheet2.xml", zeros(100))]),
        "The workbook unpacks to 100.0",
    ),
    "too many parts": (
        zip_bytes([*minimal_parts(), *((f"xl/media/{n}.bin", b"x") for n in range(600))]),
        "The workbook holds too many parts (",
    ),
    "entity expansion": (entity_bomb(), "The workbook is damaged and cannot be read."),
    "sizes that lie": (lying_zip(), "The workbook is damaged and cannot be read."),
    "no header row": (
        workbook([{"甲": 1}], headers=("甲", "乙", "丙")),
        "No sheet has the template's header row",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_a_hostile_or_broken_file_is_answered_400_and_writes_nothing(places, campaign, staff, client_for, name):
    content, message = HOSTILE_FILES[name]

    response = client_for(staff).post(IMPORT_URL, {"file": upload(content)}, format="multipart")

    assert response.status_code == 400, response.content
    assert response.json()["detail"].startswith(message)
    assert not Well.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(places, campaign, staff, client_for, settings):
    settings.IMPORT_MAX_BYTES = 1000

    response = client_for(staff).post(IMPORT_URL, {"file": upload(workbook([row("CJ-001")]))}, format="multipart")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("The file is ")
    assert "the limit is 1000" in response.json()["detail"]


def test_more_rows_than_an_import_takes_are_refused(places, campaign, staff, monkeypatch):
    monkeypatch.setattr(inventory, "MAX_DATA_ROWS", 5)

    with pytest.raises(excel.ImportFileError, match="more than 5 rows"):
        run_import(workbook([row(f"CJ-{n}") for n in range(6)]), campaign, actor=staff)


# The endpoint ---------------------------------------------------------------------


def test_the_endpoint_imports_into_the_most_recent_campaign_by_default(places, staff, client_for):
    CampaignFactory(name="旧行动", issued_on=datetime.date(2020, 1, 1))
    recent = CampaignFactory(name="新行动", issued_on=datetime.date(2022, 3, 14))

    response = client_for(staff).post(IMPORT_URL, {"file": upload(workbook([row("CJ-001")]))}, format="multipart")

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0, "errors": [], "warnings": []}
    assert Well.objects.get().campaign == recent


def test_the_endpoint_imports_into_the_campaign_named(places, campaign, staff, client_for):
    CampaignFactory(name="新行动", issued_on=datetime.date(2024, 1, 1))

    response = client_for(staff).post(
        IMPORT_URL, {"file": upload(workbook([row("CJ-001")])), "campaign": campaign.pk}, format="multipart"
    )

    assert response.status_code == 200
    assert Well.objects.get().campaign == campaign


def test_the_endpoint_refuses_an_unknown_campaign(places, campaign, staff, client_for):
    response = client_for(staff).post(
        IMPORT_URL, {"file": upload(workbook([row("CJ-001")])), "campaign": 999999}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {"campaign": ["No such campaign."]}


def test_the_endpoint_answers_400_with_the_errors_when_a_row_is_bad(places, campaign, admin_user, client_for):
    content = workbook([row("CJ-001"), row("CJ-002", 纬度="北极")])

    response = client_for(admin_user).post(IMPORT_URL, {"file": upload(content)}, format="multipart")

    assert response.status_code == 400
    body = response.json()
    assert (body["created"], body["updated"]) == (0, 0)
    assert [(error["row"], error["field"]) for error in body["errors"]] == [(3, "纬度")]
    assert not Well.objects.exists()


def test_the_endpoint_previews_a_dry_run(places, campaign, staff, client_for):
    response = client_for(staff).post(
        IMPORT_URL, {"file": upload(workbook([row("CJ-001")])), "dry_run": "true"}, format="multipart"
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["rows"][0]["action"], body["rows"][0]["sheet"]) == (1, "create", "Sheet")
    assert body["rows"][0]["changes"]["owner_name"] == [None, "取水户CJ-001"]
    assert not Well.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "member", "leader"])
def test_only_the_bureau_may_import(request, places, campaign, client_for, persona):
    user = request.getfixturevalue(persona)

    response = client_for(user).post(IMPORT_URL, {"file": upload(workbook([row("CJ-001")]))}, format="multipart")

    assert response.status_code == 403
    assert not Well.objects.exists()


def test_an_anonymous_import_is_answered_401(places, campaign):
    response = APIClient().post(IMPORT_URL, {"file": upload(workbook([row("CJ-001")]))}, format="multipart")

    assert response.status_code == 401


def test_the_error_workbook_marks_each_bad_row_at_its_own_row_number(places, campaign, staff, client_for):
    content = workbook([row("CJ-001"), row("CJ-002", 类别="拆除", 用途="挖矿"), row("CJ-003")], above=[["标题"]])

    response = client_for(staff).post(reverse("api:import-wells-errors"), {"file": upload(content)}, format="multipart")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.cell(row=2, column=18).value == "错误说明"
    assert sheet.cell(row=4, column=1).value == "CJ-002"
    assert sheet.cell(row=4, column=18).value == (
        "用途：“挖矿” is not a use; write one or more of: 生活、绿化、养殖、农灌、工业、城市应急水源, separated by 、；"
        "类别：“拆除” is not one of: 未经审批、有证不合规、保留."
    )
    assert sheet.cell(row=3, column=18).value is None
    assert not Well.objects.exists()


def test_the_template_has_the_contract_header_lists_and_instructions(places, staff, client_for):
    response = client_for(staff).get(reverse("api:import-wells-template"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["机井台账"]
    assert tuple(cell.value for cell in sheet[1]) == excel.HEADERS
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].value.startswith("(示例)")
    lists = {str(validation.sqref)[0]: validation for validation in sheet.data_validations.dataValidation}
    assert lists["M"].formula1 == '"未经审批,有证不合规,保留"'  # 类别
    assert lists["H"].formula1 == '"禁采区,限采区"'  # 所在区域
    assert lists["I"].formula1 == '"生活,绿化,养殖,农灌,工业,城市应急水源"'  # 用途
    assert lists["D"].formula1.startswith("'选项'!$A$2")
    assert [cell.value for cell in book["选项"]["A"] if cell.value][1:] == ["宁边路街道", "中山路街道"]
    assert book["填写说明"]["A2"].value == "机井编码"


def test_a_control_character_in_an_import_cell_refuses_the_row_naming_the_column(places, campaign, staff):
    # openpyxl cannot even write one into a cell; a CSV carries it as it is.
    header = ",".join(excel.HEADERS)
    values = row("CJ-001", 取水户名称="王\x0b五")
    line = ",".join("" if values[name] is None else str(values[name]) for name in excel.HEADERS)
    content = f"{header}\n{line}\n".encode()

    result = excel.import_wells(upload(content, name="台账.csv"), campaign=campaign, actor=staff)

    [error] = result.errors
    assert (error["row"], error["field"]) == (2, "取水户名称")
    assert "control character" in error["message"]
    assert not Well.objects.exists()
