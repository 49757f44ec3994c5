"""The inventory import in the browser: preview, confirm, errors."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from wells.excel import HEADERS, template_workbook
from wells.models import Well

HEADER = list(HEADERS)  # the contract's header row


def workbook(*rows):
    book = Workbook()
    sheet = book.active
    sheet.append(["昌吉市禁采区机电井关停信息统计明细表"])
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("台账.xlsx", buffer.getvalue())


def row(code, *, lat="44.01", deadline="2023年11月30日"):
    return [
        code,
        "张**",
        "个人",
        "中山路街道",
        "一村",
        "87.30",
        lat,
        "禁采区",
        "生活、农灌",
        "80",
        "",
        "",
        "未经审批",
        "中山路街道办事处",
        "王**",
        deadline,
        "",
    ]


@pytest.fixture
def signed_in(client, staff, zhongshan, campaign, settings, tmp_path):
    settings.ATTACHMENT_ROOT = tmp_path
    client.force_login(staff)
    return client


def test_the_preview_writes_nothing_and_the_confirmation_imports(signed_in):
    preview = signed_in.post(reverse("wells:import"), {"file": workbook(row("NEW-1"), row("NEW-2"))})

    assert preview.status_code == 200
    assert preview.context["result"].created == 2
    assert 'data-testid="import-confirm"' in preview.content.decode()
    assert not Well.objects.exists()

    done = signed_in.post(reverse("wells:import-confirm"))

    assert done.status_code == 302
    assert sorted(Well.objects.values_list("code", flat=True)) == ["NEW-1", "NEW-2"]
    assert signed_in.post(reverse("wells:import-confirm")).status_code == 302  # nothing staged any more
    assert Well.objects.count() == 2


def test_a_bad_row_is_named_and_nothing_can_be_confirmed(signed_in):
    preview = signed_in.post(
        reverse("wells:import"), {"file": workbook(row("NEW-1"), row("NEW-2", lat="12.5"), row("NEW-3"))}
    )

    page = preview.content.decode()
    assert 'data-row="4"' in page
    assert 'data-testid="import-confirm"' not in page
    errors = signed_in.get(reverse("wells:import-errors"))
    sheet = load_workbook(io.BytesIO(b"".join(errors.streaming_content))).active
    marked = [cells for cells in sheet.iter_rows(values_only=True) if cells[0] == "NEW-2"][0]
    assert marked[-1]
    assert not Well.objects.exists()


def test_a_file_that_is_not_a_workbook_gets_a_message(signed_in):
    response = signed_in.post(reverse("wells:import"), {"file": SimpleUploadedFile("x.xlsx", b"not a zip")})
    assert response.status_code == 200
    assert response.context["form"].errors["file"]
    assert not Well.objects.exists()


def test_the_untouched_template_is_read_and_found_empty(signed_in):
    upload = SimpleUploadedFile("template.xlsx", template_workbook().read())
    response = signed_in.post(reverse("wells:import"), {"file": upload})
    # The header is found; the example row is the template's, not a well.
    assert response.context["result"] is None
    assert response.context["form"].errors["file"]
    assert not Well.objects.exists()


@pytest.mark.parametrize("persona", ["officer", "leader", "member"])
def test_only_the_bureau_imports(request, client, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("wells:import")).status_code == 403
    assert client.post(reverse("wells:import-confirm")).status_code == 403


def test_the_dashboard_offers_the_work_report_to_leaders(client, leader, well):
    client.force_login(leader)
    page = client.get(reverse("wells:dashboard")).content.decode()
    assert 'data-testid="work-report-form"' in page
    report = client.get(reverse("api:work-report"), {"campaign": well.campaign_id, "as_of": "2023-06-15"})
    assert report.status_code == 200
    assert report["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")


# The preview shows everything; the confirmation applies it without reading the file again.


def staged_files(settings):
    folder = settings.ATTACHMENT_ROOT / "imports"
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def test_the_preview_shows_each_rows_action_and_each_fields_before_and_after(signed_in, zhongshan, campaign):
    from tests.factories import WellFactory

    WellFactory(code="OLD-1", township=zhongshan, campaign=campaign, owner_name="旧名", responsible_person="王**")
    changed = row("OLD-1")
    changed[1] = "新名"
    upload = workbook(row("NEW-1"), changed)

    page = signed_in.post(reverse("wells:import"), {"file": upload}).content.decode()

    assert 'data-row="3" data-action="create"' in page
    assert 'data-row="4" data-action="update"' in page
    assert "<del>旧名</del> → <ins>新名</ins>" in page
    assert "Sheet · 3" in page
    # The title row's sheet has no unknown columns; the workbook's other sheets none either.
    assert 'data-testid="import-warning"' not in page


def test_the_confirmation_applies_the_preview_with_one_read_of_the_file(signed_in, settings, monkeypatch):
    from wells import views
    from wells.excel import inventory

    reads = []
    real = inventory.read_upload
    monkeypatch.setattr(views, "read_upload", lambda upload: reads.append(upload.name) or real(upload))

    signed_in.post(reverse("wells:import"), {"file": workbook(row("NEW-1"))})
    # The plan and the whole preview, not the file.
    assert sorted(name.rsplit("-", 1)[-1].rsplit(".", 1)[-1] for name in staged_files(settings)) == ["json", "xlsx"]
    done = signed_in.post(reverse("wells:import-confirm"))

    assert done.status_code == 302
    assert reads == ["台账.xlsx"]
    assert list(Well.objects.values_list("code", flat=True)) == ["NEW-1"]
    assert staged_files(settings) == []


def test_a_well_changed_since_the_preview_is_refused_at_the_confirmation(signed_in, zhongshan, campaign, admin_user):
    from tests.factories import WellFactory
    from wells import changes

    well = WellFactory(code="OLD-1", township=zhongshan, campaign=campaign, owner_name="旧名")
    changed = row("OLD-1")
    changed[1] = "预览时的新名"
    signed_in.post(reverse("wells:import"), {"file": workbook(changed)})
    changes.change_facts(well, actor=admin_user, values={"owner_name": "别人改的"}, version=well.version)

    page = signed_in.post(reverse("wells:import-confirm"))

    assert page.status_code == 200
    assert 'data-testid="import-confirm-refused"' in page.content.decode()
    well.refresh_from_db()
    assert (well.owner_name, well.version) == ("别人改的", 2)


def test_cancelling_a_preview_removes_what_it_kept(signed_in, settings):
    signed_in.post(reverse("wells:import"), {"file": workbook(row("NEW-1"), row("NEW-2", lat="12.5"))})
    assert len(staged_files(settings)) == 3  # the plan, the error report and the whole preview

    response = signed_in.post(reverse("wells:import-cancel"))

    assert response.status_code == 302
    assert staged_files(settings) == []
    assert signed_in.post(reverse("wells:import-confirm")).status_code == 302
    assert not Well.objects.exists()


def test_previews_older_than_a_day_are_removed_by_the_daily_command(signed_in, settings):
    import os
    import time

    from django.core.management import call_command

    signed_in.post(reverse("wells:import"), {"file": workbook(row("NEW-1"))})
    for name in staged_files(settings):
        os.utime(settings.ATTACHMENT_ROOT / "imports" / name, (time.time() - 25 * 3600, time.time() - 25 * 3600))

    call_command("clear_import_previews")

    assert staged_files(settings) == []


def test_the_whole_preview_is_a_workbook_when_the_page_lists_only_the_first_rows(signed_in, monkeypatch, well):
    from wells import views

    monkeypatch.setattr(views, "PREVIEW_ROWS_SHOWN", 2)
    update = row(well.code)
    update[1] = "改名者"
    preview = signed_in.post(
        reverse("wells:import"), {"file": workbook(row("NEW-1"), row("NEW-2"), row("NEW-3"), update)}
    )

    page = preview.content.decode()
    assert page.count('data-testid="import-row"') == 2
    assert 'data-testid="import-preview-workbook"' in page
    response = signed_in.get(reverse("wells:import-preview"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    lines = list(book["导入预览"].iter_rows(values_only=True))
    assert lines[0] == ("工作表", "行", "机井编码", "处理", "字段", "原值", "新值")
    assert {line[2] for line in lines[1:]} == {"NEW-1", "NEW-2", "NEW-3", well.code}
    assert ("Sheet", 3, "NEW-1", "新增") in {line[:4] for line in lines}
    (renamed,) = [line for line in lines if line[2] == well.code and line[6] == "改名者"]
    assert (renamed[3], renamed[5]) == ("更新", well.owner_name)
    assert book.sheetnames == ["导入预览"]  # no warning, no error
    assert not Well.objects.filter(code__startswith="NEW").exists()


def test_the_whole_preview_names_the_errors(signed_in):
    signed_in.post(reverse("wells:import"), {"file": workbook(row("NEW-1"), row("NEW-2", lat="12.5"))})

    response = signed_in.get(reverse("wells:import-preview"))

    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    errors = list(book["错误"].iter_rows(values_only=True))
    assert errors[0] == ("工作表", "行", "字段", "说明")
    assert [(line[0], line[1], line[2]) for line in errors[1:]] == [("Sheet", 4, "纬度")]


def test_the_whole_preview_is_gone_with_the_preview(signed_in):
    signed_in.post(reverse("wells:import"), {"file": workbook(row("NEW-1"))})
    assert signed_in.get(reverse("wells:import-preview")).status_code == 200

    signed_in.post(reverse("wells:import-cancel"))

    assert signed_in.get(reverse("wells:import-preview")).status_code == 404
