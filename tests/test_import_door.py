"""The inventory import goes through the import's door (DESIGN §3 "One door
for every change"): each row that updates a well bumps its version and
writes its own history record; a row exported before someone else changed
its well is refused as a conflict; an archived well and a code out of the
importer's scope take no row; a 保留 row comes in retained; new wells have
their tasks when the import returns. On SQLite and PostgreSQL alike."""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from tasks.choices import Step
from tasks.models import Duty, Task
from tests.factories import WellFactory
from tests.test_excel_import import row, upload, workbook
from wells import changes, excel
from wells.choices import Action, ChangeKind, Status
from wells.models import Well, WellChange, WellEvent

pytestmark = pytest.mark.usefixtures("clock")

IMPORT_URL = reverse("api:import-wells")
EXPORT_URL = reverse("api:export-wells")
SUMMARY_URL = reverse("api:stats-summary")
# A file that changes two facts of wells already in the ledger.
NAME_AND_PERSON = ("机井编码", "取水户名称", "责任人")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def places(zhongshan, ningbian):
    return zhongshan, ningbian


def client_for(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def exported(user):
    """The ledger as the export gives it to ``user``, opened."""
    response = client_for(user).get(EXPORT_URL)
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def edited(book, code, header, value):
    """The bytes of ``book`` with the cell of ``header`` in the row of
    ``code`` set to ``value``, as a clerk edits an export."""
    sheet = book["机井台账"]
    headers = [cell.value for cell in sheet[1]]
    (line,) = [cells for cells in sheet.iter_rows(min_row=2) if cells[0].value == code]
    line[headers.index(header)].value = value
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post_import(user, content):
    return client_for(user).post(IMPORT_URL, {"file": upload(content)}, format="multipart")


# An updated row ------------------------------------------------------------------


def test_an_imported_row_bumps_the_version_and_records_before_and_after(places, campaign, staff, zhongshan):
    well = WellFactory(
        code="CJ-001", township=zhongshan, campaign=campaign, owner_name="旧名", responsible_person="张三", version=3
    )
    content = workbook(
        [{"机井编码": "CJ-001", "取水户名称": "新名", "责任人": "李四"}],
        headers=NAME_AND_PERSON,
    )

    result = excel.import_wells(upload(content), campaign=campaign, actor=staff)

    assert (result.created, result.updated, result.errors) == (0, 1, [])
    well.refresh_from_db()
    assert (well.owner_name, well.responsible_person, well.version) == ("新名", "李四", 4)
    (record,) = WellChange.objects.filter(well=well)
    assert record.kind == ChangeKind.IMPORT == "import"
    assert record.changes == {"owner_name": ["旧名", "新名"], "responsible_person": ["张三", "李四"]}
    assert (record.actor, record.actor_name, record.version) == (staff, str(staff), 4)


def test_an_unchanged_row_writes_no_history(places, campaign, staff, zhongshan):
    well = WellFactory(
        code="CJ-001", township=zhongshan, campaign=campaign, owner_name="同名", responsible_person="张三"
    )
    content = workbook([{"机井编码": "CJ-001", "取水户名称": "同名", "责任人": "张三"}], headers=NAME_AND_PERSON)

    result = excel.import_wells(upload(content), campaign=campaign, actor=staff)

    assert (result.updated, result.unchanged) == (0, 1)
    well.refresh_from_db()
    assert well.version == 1
    assert not WellChange.objects.exists()


# The version column ---------------------------------------------------------------


def test_reimporting_an_export_taken_before_someone_elses_change_is_refused(
    places, campaign, staff, admin_user, zhongshan
):
    well = WellFactory(
        code="CJ-001", township=zhongshan, campaign=campaign, owner_name="旧名", responsible_person="张三"
    )
    WellFactory(code="CJ-002", township=zhongshan, campaign=campaign)
    old_export = exported(staff)
    # Someone changes the well after the export was taken …
    changes.change_facts(well, actor=admin_user, values={"responsible_person": "王五"}, version=well.version)
    # … and the clerk edits the old export and imports it.
    content = edited(old_export, "CJ-001", "取水户名称", "导出后改名")

    response = post_import(staff, content)

    assert response.status_code == 400, response.content
    assert response.json()["errors"] == [
        {
            "sheet": "机井台账",
            "row": 2,
            "field": "版本",
            "message": "This row was exported at version 1; the well is now at version 2 (changed since). "
            "Export the ledger again and redo the change on the fresh copy.",
        }
    ]
    well.refresh_from_db()
    assert (well.owner_name, well.responsible_person, well.version) == ("旧名", "王五", 2)
    assert list(WellChange.objects.filter(well=well).values_list("kind", flat=True)) == [ChangeKind.FACTS]

    # The same edit on a fresh export goes in.
    response = post_import(staff, edited(exported(staff), "CJ-001", "取水户名称", "导出后改名"))

    assert response.status_code == 200, response.content
    assert (response.json()["updated"], response.json()["unchanged"]) == (1, 1)
    well.refresh_from_db()
    assert (well.owner_name, well.responsible_person, well.version) == ("导出后改名", "王五", 3)


def test_a_stale_version_is_refused_in_the_preview_too(places, campaign, staff, zhongshan):
    well = WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, version=5)
    content = workbook(
        [{"机井编码": "CJ-001", "取水户名称": "新名", "版本": 3}], headers=("机井编码", "取水户名称", "版本")
    )

    result = excel.import_wells(upload(content), campaign=campaign, actor=staff, dry_run=True)

    assert [(error["row"], error["field"]) for error in result.errors] == [(2, "版本")]
    assert "exported at version 3; the well is now at version 5" in result.errors[0]["message"]
    well.refresh_from_db()
    assert well.version == 5


def test_a_new_wells_row_may_carry_a_version(places, campaign, staff):
    headers = (*excel.HEADERS, "版本")

    result = excel.import_wells(
        upload(workbook([{**row("CJ-NEW"), "版本": 7}], headers=headers)), campaign=campaign, actor=staff
    )

    assert (result.created, result.errors) == (1, [])
    assert Well.objects.get(code="CJ-NEW").version == 1


@pytest.mark.parametrize("written", [0, -1, 2.5, "二", "v3", "1e3"])
def test_a_version_that_is_no_positive_whole_number_is_a_cell_error(places, campaign, staff, zhongshan, written):
    WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, owner_name="旧名")
    content = workbook(
        [{"机井编码": "CJ-001", "取水户名称": "新名", "版本": written}], headers=("机井编码", "取水户名称", "版本")
    )

    result = excel.import_wells(upload(content), campaign=campaign, actor=staff)

    assert [(error["row"], error["field"]) for error in result.errors] == [(2, "版本")]
    assert "is not a version" in result.errors[0]["message"]
    assert Well.objects.get().owner_name == "旧名"


@pytest.mark.parametrize("written", [1, 1.0, "1", "１", " 1 "])
def test_the_current_version_is_read_however_it_is_written(places, campaign, staff, zhongshan, written):
    WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, owner_name="旧名")
    content = workbook(
        [{"机井编码": "CJ-001", "取水户名称": "新名", "版本": written}], headers=("机井编码", "取水户名称", "版本")
    )

    result = excel.import_wells(upload(content), campaign=campaign, actor=staff)

    assert (result.updated, result.errors) == (1, [])
    assert Well.objects.get().version == 2


# Rows the import refuses ------------------------------------------------------------


def test_an_archived_wells_row_is_refused(places, campaign, staff, admin_user, zhongshan):
    well = WellFactory(code="CJ-001", township=zhongshan, campaign=campaign, owner_name="旧名")
    well = changes.archive_well(well, actor=admin_user, reason="重复录入", version=well.version)
    content = workbook([{"机井编码": "CJ-001", "取水户名称": "新名", "责任人": "李四"}], headers=NAME_AND_PERSON)
    refused = [
        {
            "sheet": "Sheet",
            "row": 2,
            "field": "机井编码",
            "message": "The well CJ-001 is archived: restore it before importing changes to it.",
        }
    ]

    preview = excel.import_wells(upload(content), campaign=campaign, actor=staff, dry_run=True)
    response = post_import(staff, content)

    assert preview.errors == refused
    assert response.status_code == 400
    assert response.json()["errors"] == refused
    well.refresh_from_db()
    assert (well.owner_name, well.version) == ("旧名", 2)
    assert well.archived_at is not None
    assert list(WellChange.objects.filter(well=well).values_list("kind", flat=True)) == [ChangeKind.ARCHIVE]


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_code_held_by_a_well_out_of_the_importers_scope_is_an_error_that_tells_nothing_more(
    places, campaign, officer, other_well, dry_run
):
    # Only bureau roles import, and they see every well; the rule holds for
    # any importer all the same.
    owner = other_well.owner_name
    content = workbook([{"机井编码": other_well.code, "取水户名称": "新名"}], headers=NAME_AND_PERSON)

    result = excel.import_wells(upload(content), campaign=campaign, actor=officer, dry_run=dry_run)

    assert result.errors == [
        {
            "sheet": "Sheet",
            "row": 2,
            "field": "机井编码",
            "message": f"The well code {other_well.code} is already used by a well outside your scope.",
        }
    ]
    other_well.refresh_from_db()
    assert (other_well.owner_name, other_well.version) == (owner, 1)
    assert not WellChange.objects.exists()


# New wells ------------------------------------------------------------------------------


@pytest.fixture
def duties(campaign, grid_unit, bureau):
    """The steps of the campaign's wells and who owns them (the plan's 附件1);
    an empty unit is the well's responsible unit."""
    for step, unit in [
        (Step.NOTIFY, None),
        (Step.REVOKE_LICENSE, bureau),
        (Step.SUPPLY, grid_unit),
        (Step.DISCONNECT, grid_unit),
        (Step.SEAL, None),
        (Step.ACCEPT, bureau),
    ]:
        Duty.objects.create(campaign=campaign, step=step, unit=unit, days_before_deadline=10)


def test_new_wells_have_their_tasks_when_the_import_returns(places, campaign, staff, duties):
    rows = [row("CJ-001", 用途="生活、农灌"), row("CJ-002", 用途="农灌")]

    result = excel.import_wells(upload(workbook(rows)), campaign=campaign, actor=staff)

    assert (result.created, result.errors) == (2, [])
    # No daily job has run: the tasks came with the wells.
    tasks = set(Task.objects.values_list("well__code", "step", "unit__name"))
    assert tasks == {
        ("CJ-001", "notify", "中山路街道办事处"),
        ("CJ-001", "supply", "国网昌吉供电公司客户服务中心"),
        ("CJ-001", "disconnect", "国网昌吉供电公司客户服务中心"),
        ("CJ-001", "seal", "中山路街道办事处"),
        ("CJ-001", "accept", "市水利局"),
        # No domestic use: no replacement supply. No licence: none to revoke.
        ("CJ-002", "notify", "中山路街道办事处"),
        ("CJ-002", "disconnect", "国网昌吉供电公司客户服务中心"),
        ("CJ-002", "seal", "中山路街道办事处"),
        ("CJ-002", "accept", "市水利局"),
    }
    for well in Well.objects.all():
        (record,) = WellChange.objects.filter(well=well)
        assert (record.kind, record.actor, record.version) == (ChangeKind.IMPORT, staff, 1)
        assert record.changes["code"] == [None, well.code]


def test_a_bad_row_leaves_no_well_and_no_task(places, campaign, staff, duties):
    rows = [row("CJ-001"), row("CJ-002", 类别="拆除")]

    result = excel.import_wells(upload(workbook(rows)), campaign=campaign, actor=staff)

    assert [(error["row"], error["field"]) for error in result.errors] == [(3, "类别")]
    assert not Well.objects.exists()
    assert not Task.objects.exists()
    assert not WellChange.objects.exists()


def test_a_retained_row_comes_in_as_a_retained_well_with_its_retain_event(places, campaign, staff, duties):
    rows = [row("CJ-001"), row("CJ-KEEP", 类别="保留", 用途="城市应急水源", 备注="城市应急备用水源")]

    preview = excel.import_wells(upload(workbook(rows)), campaign=campaign, actor=staff, dry_run=True)
    result = excel.import_wells(upload(workbook(rows)), campaign=campaign, actor=staff)

    assert [(line["code"], line["action"]) for line in preview.rows] == [("CJ-001", "create"), ("CJ-KEEP", "create")]
    assert (result.created, result.errors) == (2, [])
    kept = Well.objects.get(code="CJ-KEEP")
    assert (kept.status, kept.version) == (Status.RETAINED, 1)
    (event,) = WellEvent.objects.filter(well=kept)
    assert (event.action, event.from_status, event.to_status) == (Action.RETAIN, Status.INVENTORIED, Status.RETAINED)
    assert (event.actor, event.data["reason"]) == (staff, "城市应急备用水源")
    assert WellChange.objects.get(well=kept).event == event
    assert not Task.objects.filter(well=kept).exists()
    assert Well.objects.get(code="CJ-001").status == Status.INVENTORIED
    assert not WellEvent.objects.exclude(well=kept).exists()

    totals = client_for(staff).get(SUMMARY_URL, {"campaign": campaign.pk}).json()["totals"]

    assert (totals["total"], totals["retained"], totals["to_close"]) == (2, 1, 1)
