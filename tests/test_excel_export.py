"""The ledger export (DESIGN §5, §6): the caller's wells under the well
list's filters, in a workbook a clerk can read, filter and import again."""

import datetime
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tasks.models import Task
from tests.factories import WellFactory
from wells import excel
from wells.choices import Category, OwnerKind, Status, Use, Zone
from wells.models import Well

pytestmark = pytest.mark.usefixtures("clock")

EXPORT_URL = reverse("api:export-wells")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = [column.header for column in excel.EXPORT_COLUMNS]


@pytest.fixture
def ledger(zhongshan, ningbian, campaign):
    """Wells of both townships in several states; one of them with text a
    spreadsheet would take for a formula."""
    return {
        "ZS-1": WellFactory(
            code="ZS-1",
            township=zhongshan,
            campaign=campaign,
            owner_name="张三",
            uses=[Use.DOMESTIC, Use.IRRIGATION],
            status=Status.NOTIFIED,
            comply_by=datetime.date(2023, 5, 1),
            deadline=datetime.date(2023, 5, 31),
            lat="44.016111",
            lng="87.308611",
            depth_m="95.50",
        ),
        "ZS-2": WellFactory(
            code="ZS-2",
            township=zhongshan,
            campaign=campaign,
            owner_name='=HYPERLINK("http://evil.example","点我")',
            note="+86 138 0000 0000",
            responsible_person="@SUM(A1)",
            village="-1",
            owner_kind=OwnerKind.ENTERPRISE,
            category=Category.LICENSED,
            license_no="取水(昌)字〔2015〕第021号",
            status=Status.ACCEPTED,
            deadline=datetime.date(2023, 11, 30),
        ),
        "ZS-3": WellFactory(
            code="ZS-3",
            township=zhongshan,
            campaign=campaign,
            category=Category.RETAINED,
            uses=[Use.EMERGENCY],
            status=Status.RETAINED,
            zone=Zone.RESTRICTED,
            deadline=None,
            lat=None,
            lng=None,
            depth_m=None,
        ),
        "NB-1": WellFactory(code="NB-1", township=ningbian, campaign=campaign, deadline=datetime.date(2023, 1, 1)),
    }


def client_for(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    if user is not None:
        client.force_authenticate(user)
    return client


def export(user, **query):
    response = client_for(user).get(EXPORT_URL, query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == XLSX
    assert response["Content-Disposition"].startswith("attachment;")
    content = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(content)), content


def rows_by_code(book):
    sheet = book["机井台账"]
    rows = list(sheet.iter_rows(min_row=2))
    return {row[0].value: dict(zip(HEADERS, row, strict=True)) for row in rows}


def test_the_export_has_chinese_headers_labels_and_real_cells(ledger, staff):
    book, _content = export(staff)
    sheet = book["机井台账"]

    assert [cell.value for cell in sheet[1]] == HEADERS
    row = rows_by_code(book)["ZS-1"]
    assert row["取水户名称"].value == "张三"
    assert row["取水户类型"].value == "个人"
    assert row["乡镇(街道)"].value == "中山路街道"
    assert row["所在区域"].value == "禁采区"
    assert row["用途"].value == "生活、农灌"
    assert row["类别"].value == "未经审批"
    assert row["责任单位"].value == "中山路街道办事处"
    assert row["状态"].value == "已下达关停通知"
    assert row["是否超期"].value == "是"
    assert row["经度"].value == pytest.approx(87.308611)
    assert row["经度"].number_format == "0.000000"
    assert row["井深(米)"].value == pytest.approx(95.5)
    assert row["限期"].is_date
    assert row["限期"].value == datetime.datetime(2023, 5, 31)
    assert row["限期"].number_format == "yyyy-mm-dd"
    assert row["限期整改日期"].value == datetime.datetime(2023, 5, 1)
    assert row["更新时间"].is_date
    assert (row["版本"].value, row["版本"].data_type) == (1, "n")

    retained = rows_by_code(book)["ZS-3"]
    assert (retained["状态"].value, retained["类别"].value, retained["所在区域"].value) == ("保留", "保留", "限采区")
    assert retained["限期"].value is None
    assert retained["经度"].value is None


def test_the_sheet_is_ready_to_filter_with_a_frozen_header_and_widths(ledger, staff):
    book, _content = export(staff)
    sheet = book["机井台账"]

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:Y{len(ledger) + 1}"
    assert sheet.column_dimensions["A"].width == pytest.approx(16, abs=1)
    assert sheet.column_dimensions["B"].width == pytest.approx(24, abs=1)
    assert [cell.font.b for cell in sheet[1]] == [True] * len(HEADERS)


def test_text_a_spreadsheet_would_run_as_a_formula_is_neutralised(ledger, staff):
    row = rows_by_code(export(staff)[0])["ZS-2"]

    assert row["取水户名称"].value == '\'=HYPERLINK("http://evil.example","点我")'
    assert row["取水户名称"].data_type == "s"
    assert row["备注"].value == "'+86 138 0000 0000"
    assert row["责任人"].value == "'@SUM(A1)"
    assert row["村(社区)"].value == "'-1"
    assert row["取水许可证号"].value == "取水(昌)字〔2015〕第021号"


def test_no_cell_of_the_export_holds_a_formula(ledger, staff):
    _book, content = export(staff)

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name), name


def test_the_summary_sheet_has_the_figures_of_each_responsible_unit(ledger, staff):
    book, _content = export(staff)
    summary = book["按责任单位汇总"]

    rows = [[cell.value for cell in row] for row in summary.iter_rows()]
    assert rows[0] == ["责任单位", "机井总数", "应关停", "保留", "已封填", "已验收销号", "超期", "完成率"]
    assert rows[1:] == [
        # 中山路: ZS-1 overdue, ZS-2 accepted, ZS-3 retained.
        ["中山路街道办事处", 3, 2, 1, 0, 1, 1, 0.5],
        ["宁边路街道办事处", 1, 1, 0, 0, 0, 1, 0],
        ["合计", 4, 3, 1, 0, 1, 2, pytest.approx(0.3333)],
    ]
    assert summary["H2"].number_format == "0.0%"
    assert summary.freeze_panes == "A2"


def test_an_officer_exports_only_the_wells_of_their_own_unit(ledger, officer, other_officer):
    assert set(rows_by_code(export(officer)[0])) == {"ZS-1", "ZS-2", "ZS-3"}
    book = export(other_officer)[0]
    assert set(rows_by_code(book)) == {"NB-1"}
    assert [row[0].value for row in book["按责任单位汇总"].iter_rows(min_row=2)] == ["宁边路街道办事处", "合计"]


def test_a_member_unit_exports_the_wells_of_its_tasks(ledger, member, grid_unit):
    assert rows_by_code(export(member)[0]) == {}

    Task.objects.create(well=ledger["NB-1"], unit=grid_unit, step="disconnect")

    assert set(rows_by_code(export(member)[0])) == {"NB-1"}


def test_a_leader_exports_the_whole_ledger(ledger, leader):
    assert set(rows_by_code(export(leader)[0])) == set(ledger)


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ({"status": "notified"}, {"ZS-1"}),
        ({"status": ["notified", "accepted"]}, {"ZS-1", "ZS-2"}),
        ({"township": "ningbianlu"}, {"NB-1"}),
        ({"overdue": "true"}, {"ZS-1", "NB-1"}),
        ({"category": "retained"}, {"ZS-3"}),
        ({"use": "domestic"}, {"ZS-1"}),
        ({"q": "张三"}, {"ZS-1"}),
        ({"deadline_before": "2023-06-01"}, {"ZS-1", "NB-1"}),
    ],
)
def test_the_well_lists_filters_apply_to_the_export(ledger, staff, query, codes):
    book = export(staff, **query)[0]

    assert set(rows_by_code(book)) == codes
    total = list(book["按责任单位汇总"].iter_rows(values_only=True))[-1]
    assert total[:2] == ("合计", len(codes))


def test_the_export_follows_the_ordering_asked_for(ledger, staff):
    book = export(staff, ordering="-code")[0]

    assert [row[0].value for row in book["机井台账"].iter_rows(min_row=2)] == ["ZS-3", "ZS-2", "ZS-1", "NB-1"]


def test_a_bad_filter_is_answered_400_in_json(ledger, staff):
    response = client_for(staff).get(EXPORT_URL, {"status": "burnt"})

    assert response.status_code == 400
    assert "status" in response.json()


def test_an_anonymous_export_is_answered_401(ledger):
    assert client_for(None).get(EXPORT_URL).status_code == 401


def test_the_export_reads_back_as_an_import_that_changes_nothing(ledger, staff, campaign):
    _book, content = export(staff)
    versions = dict(Well.objects.values_list("code", "version"))

    result = excel.import_wells(SimpleUploadedFile("台账.xlsx", content), campaign=campaign, actor=staff)

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (0, 0, len(ledger))
    assert dict(Well.objects.values_list("code", "version")) == versions
    assert Well.objects.get(code="ZS-2").owner_name.startswith("=HYPERLINK")
    assert Well.objects.get(code="ZS-1").lat == Decimal("44.016111")


def export_queries(user):
    client = client_for(type(user).objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(EXPORT_URL)
        b"".join(response.streaming_content)
    return [query["sql"] for query in queries]


def test_the_export_takes_the_same_few_queries_for_any_number_of_wells(ledger, staff, zhongshan, campaign):
    few = export_queries(staff)
    WellFactory.create_batch(40, township=zhongshan, campaign=campaign)

    many = export_queries(staff)

    assert len(many) == len(few)
    # The role (the user's groups), the totals, the totals per unit, and the
    # wells' values with the names of their township, unit and campaign in
    # one join (model instances are never made); on PostgreSQL the setting
    # that plans that query to read every row.
    reads = [sql for sql in many if not sql.startswith("SET LOCAL")]
    assert len(reads) <= 4, reads
    rows = [sql for sql in reads if '"wells_well"."code"' in sql and "GROUP BY" not in sql]
    assert len(rows) == 1, reads
    assert '"wells_township"."name"' in rows[0] and '"wells_campaign"."name"' in rows[0]
    assert '"wells_well"."created_at"' not in rows[0]
    settings = [sql for sql in many if sql.startswith("SET LOCAL")]
    assert settings == (["SET LOCAL cursor_tuple_fraction = 1"] if connection.vendor == "postgresql" else [])


def test_each_wells_version_is_the_last_column(ledger, staff):
    Well.objects.filter(code="ZS-2").update(version=7)
    book, _content = export(staff)

    assert [cell.value for cell in book["机井台账"][1]][-2:] == ["更新时间", "版本"]
    versions = {code: cells["版本"].value for code, cells in rows_by_code(book).items()}
    assert versions == {"ZS-1": 1, "ZS-2": 7, "ZS-3": 1, "NB-1": 1}


def test_the_time_of_the_last_change_is_shanghai_time_to_the_second(ledger, staff):
    well = Well.objects.get(code="ZS-1")
    Well.objects.filter(pk=well.pk).update(
        updated_at=datetime.datetime(2023, 6, 14, 23, 59, 58, 750000, tzinfo=datetime.UTC)
    )

    row = rows_by_code(export(staff)[0])["ZS-1"]

    assert row["更新时间"].value == datetime.datetime(2023, 6, 15, 7, 59, 58)
    assert row["更新时间"].number_format == "yyyy-mm-dd hh:mm"
