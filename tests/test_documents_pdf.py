"""The documents as a clerk sees them: each rendered to PDF by LibreOffice
(``soffice --headless --convert-to pdf``) and read back with poppler
(pdftotext, pdfimages, pdfinfo) — page numbers 「— 1 —」 in the footer, the
notice's dates agreeing, no placeholder left, the acceptance form's photo
an image in the PDF, the report's pages few and its sentences only where
its figures bear them out — and the files' properties.

CI installs LibreOffice Writer and poppler-utils (.ci/run); without them
these tests skip."""

import datetime
import io
import os
import re
import shutil
import subprocess
import uuid
import zipfile

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from PIL import Image

from tests import test_reports
from tests.factories import WellFactory
from tests.memory import MEASURABLE, peak_rss_reset, proc_status
from tests.test_reports import client_for, close
from wells.choices import Action, Use
from wells.models import Well, WellChange
from wells.uploads import store_attachment
from wells.workflow import perform

SOFFICE = shutil.which("soffice")
# Debian's LibreOffice converts Word files only with its Writer package.
WRITER = os.path.exists("/usr/lib/libreoffice/program/libswlo.so")
POPPLER = shutil.which("pdftotext") and shutil.which("pdfimages")
pytestmark = pytest.mark.usefixtures("clock")
# The tests that render a document to PDF.
rendered = pytest.mark.skipif(
    SOFFICE is None or not WRITER or not POPPLER,
    reason="LibreOffice Writer and poppler-utils are not installed (CI installs libreoffice-writer, poppler-utils)",
)

# The Changji ledger of the work report's tests, as a fixture here too.
changji = test_reports.changji

PAGE_NUMBER = re.compile(r"—\s*(\d+)\s*—")
# What a document must never print: unfilled template marks and stray values.
PLACEHOLDERS = ("[X]", "[", "None", "未登记位置", "python-docx", "〔　　〕")


def download(user, url, **query):
    response = client_for(user).get(url, query)
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content)


def render(tmp_path, name, content):
    """The PDF LibreOffice makes of ``content``, and its text (pdftotext
    -layout) page by page."""
    source = tmp_path / name
    source.write_bytes(content)
    profile = tmp_path / f"lo-{uuid.uuid4().hex}"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = source.with_suffix(".pdf")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return pdf, text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def page_size(pdf):
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
    width, height = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info).groups()
    return round(float(width)), round(float(height))


def images_in(pdf):
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], check=True, capture_output=True, text=True).stdout
    return [line.split() for line in listing.splitlines()[2:] if line.strip()]


def flat(text):
    """The text without the line breaks and spaces of the page layout."""
    return re.sub(r"\s+", "", text)


def assert_numbered(pages):
    """Every page carries its number, 「— n —」, in order."""
    numbers = [PAGE_NUMBER.findall(page) for page in pages]
    assert [found[-1] if found else None for found in numbers] == [str(n) for n in range(1, len(pages) + 1)]


def jpeg_bytes(size=(1600, 1200)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def served_well(zhongshan, campaign, staff, **fields):
    well = WellFactory(township=zhongshan, campaign=campaign, **fields)
    perform(well, Action.NOTIFY, actor=staff, data={"served_on": "2023-06-01", "comply_by": "2023-06-30"})
    return Well.objects.get(pk=well.pk)


# The closure notice ---------------------------------------------------------------


@rendered
def test_the_notice_prints_in_the_national_format_with_one_comply_by_date(tmp_path, zhongshan, campaign, staff):
    campaign.notice_prefix, campaign.contact = "昌水关", "水资源科 0994-2345678"
    campaign.save()
    well = served_well(zhongshan, campaign, staff, village="中山路街道一村", uses=[Use.DOMESTIC])

    content = download(staff, reverse("api:well-notice", kwargs={"code": well.code}))
    pdf, pages = render(tmp_path, "notice.docx", content)

    assert page_size(pdf) == (595, 842)  # A4
    assert_numbered(pages)
    text = flat("".join(pages))
    assert "机电井关停通知书" in text
    assert "昌水关〔2023〕第1号" in text  # the number the door gave
    assert "中山路街道一村" in text and "中山路街道中山路街道" not in text
    # The notice's one comply-by date, in its body and its table; the well's
    # own deadline (2023-11-30) is the responsible unit's, not the owner's.
    assert "请你（单位）于2023年6月30日前自行停止取水" in text
    assert "停止取水期限2023年6月30日" in text
    assert "2023年11月30日" not in text
    assert "六十日内" in text and "六个月内" in text
    assert "联系方式：水资源科0994-2345678" in text
    assert "（盖章）" in text
    for placeholder in PLACEHOLDERS:
        assert placeholder not in text


def test_the_notices_properties_say_the_bureau_wrote_it_now_in_chinese(zhongshan, campaign, staff, clock):
    well = served_well(zhongshan, campaign, staff)

    document = docx.Document(io.BytesIO(download(staff, reverse("api:well-notice", kwargs={"code": well.code}))))

    properties = document.core_properties
    assert properties.author == "中山路街道办事处"  # the campaign names no lead unit here
    assert properties.language == "zh-CN"
    assert properties.created.date().isoformat() == "2023-06-15"
    assert properties.title == "机电井关停通知书"
    fonts = document.part.part_related_by(
        "http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable"
    ).blob.decode()
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in fonts
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>' in fonts
    app = next(
        rel.target_part for rel in document.part.package.rels.values() if rel.reltype.endswith("/extended-properties")
    ).blob.decode()
    assert "<Company>中山路街道办事处</Company>" in app
    assert "Macintosh" not in app


def test_two_hundred_notices_come_in_one_document_without_a_query_per_well(
    zhongshan, campaign, staff, django_assert_max_num_queries
):
    codes = [served_well(zhongshan, campaign, staff).code for _ in range(200)]
    client = client_for(staff)

    # The user, the wells, their events, their campaigns (its time: bench/sweep.py).
    with django_assert_max_num_queries(6):
        response = client.get(reverse("api:well-notices"), {"code": ",".join(codes)})
        content = b"".join(response.streaming_content)

    assert response.status_code == 200
    text = "\n".join(paragraph.text for paragraph in docx.Document(io.BytesIO(content)).paragraphs)
    numbers = re.findall(r"关停通知〔2023〕第(\d+)号", text)
    assert len(set(numbers)) == 200  # each notice its own number


# The acceptance form ------------------------------------------------------------------


@rendered
def test_the_acceptance_form_shows_the_sealing_photo_it_lists(tmp_path, zhongshan, campaign, staff, admin_user, clock):
    well = WellFactory(township=zhongshan, campaign=campaign)
    close(well, clock, accepted_on=datetime.date(2023, 6, 10), sealer=staff, accepter=admin_user)
    store_attachment(
        well=well,
        kind="photo",
        upload=SimpleUploadedFile("井口.jpg", jpeg_bytes(), content_type="image/jpeg"),
        uploaded_by=staff,
    )

    content = download(staff, reverse("api:well-acceptance", kwargs={"code": well.code}))
    pdf, pages = render(tmp_path, "acceptance.docx", content)

    assert_numbered(pages)
    text = flat("".join(pages))
    assert "现场照片1张（见附页）" in text  # the photo the seal was recorded with
    assert "封井.png" in text
    assert "井口.jpg" not in text  # a later photo is not the seal's
    images = images_in(pdf)
    assert len(images) == 1
    assert "同意验收销号" in text


# The work report --------------------------------------------------------------------


@rendered
def test_the_work_report_prints_in_the_national_format(tmp_path, changji, staff):
    content = download(
        staff, reverse("api:work-report"), campaign=changji.pk, as_of="2023-06-13", number="昌水字〔2023〕21号"
    )
    pdf, pages = render(tmp_path, "report.docx", content)

    assert page_size(pdf) == (595, 842)
    assert 4 <= len(pages) <= 12
    assert_numbered(pages)
    text = flat("".join(pages))
    assert text.startswith("昌水字〔2023〕21号关于昌吉市取水井关停工作情况的报告昌吉市人民政府：")
    assert "《昌吉市2022年地下水禁采区36眼机电井关停方案》（昌市政办发〔2022〕7号）" in text
    assert "昌吉市水利局2023年6月13日（盖章）" in text
    assert "2022-11-30" in text  # a date kept whole in its cell
    for placeholder in PLACEHOLDERS:
        assert placeholder not in text


def test_the_work_reports_annex_header_is_repeated_on_every_page(changji, staff):
    document = docx.Document(io.BytesIO(download(staff, reverse("api:work-report"), campaign=changji.pk)))

    for table in document.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(docx.oxml.ns.qn("w:tblHeader")) is not None


@rendered
def test_the_work_report_claims_nothing_its_figures_do_not_show(tmp_path, zhongshan, campaign, staff):
    WellFactory(township=zhongshan, campaign=campaign)  # inventoried, nothing done yet

    content = download(staff, reverse("api:work-report"), campaign=campaign.pk)
    _pdf, pages = render(tmp_path, "empty-report.docx", content)

    text = flat("".join(pages))
    assert_numbered(pages)
    for claim in (
        "营造了良好的工作氛围",
        "取得了阶段性成效",
        "发布各类宣传信息",
        "“回头看”行动",
        "地下水开采量得到明显控制",
        "认识有所提高",
        "共保留此类取水井",
    ):
        assert claim not in text
    assert "尚无宣传工作记录" in text
    assert "尚无巡查检查记录" in text
    assert "尚无取水井完成验收销号" in text
    assert "完成率0.0%" in text


REPORT_QUERIES = 30


def test_the_work_report_of_thousands_of_wells_lists_the_most_overdue_in_a_fixed_number_of_queries(
    db, request, django_assert_max_num_queries
):
    # Generated first: on PostgreSQL the generator alters tables, which a
    # transaction holding other rows' trigger events refuses.
    call_command("generate_wells", count=3000, seed=15, stdout=io.StringIO())
    zhongshan, staff = request.getfixturevalue("zhongshan"), request.getfixturevalue("staff")
    campaign = Well.objects.order_by("pk").last().campaign
    for day in range(150):
        WellFactory(campaign=campaign, township=zhongshan, deadline=datetime.date(2023, 1, 1) + datetime.timedelta(day))
    overdue = Well.objects.filter(campaign=campaign).overdue().count()
    assert overdue >= 150
    client = client_for(staff)

    # Today's figures are aggregates: the count of queries does not grow
    # with the wells (its time at a million: bench/sweep.py).
    with django_assert_max_num_queries(REPORT_QUERIES):
        response = client.get(reverse("api:work-report"), {"campaign": campaign.pk})
        document = docx.Document(io.BytesIO(b"".join(response.streaming_content)))

    listed = document.tables[1]
    assert len(listed.rows) == 1 + 100  # the header and the 100 most overdue
    days = [int(row.cells[7].text) for row in listed.rows[1:]]
    assert days == sorted(days, reverse=True)
    assert days[0] == (datetime.date(2023, 6, 15) - datetime.date(2023, 1, 1)).days
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    assert f"共{overdue}眼，按超期天数由多到少排列，列出前100眼" in text
    assert "完整名单见机井台账导出" in text


# The ledger export ---------------------------------------------------------------------


@rendered
def test_the_ledger_prints_landscape_fit_to_width_with_its_header_and_filter(tmp_path, zhongshan, campaign, staff):
    for _ in range(300):
        WellFactory(township=zhongshan, campaign=campaign)

    content = download(staff, reverse("api:export-wells"))
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        workbook = book.read("xl/workbook.xml").decode()
    assert '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>' in sheet
    assert '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' in sheet
    assert '<autoFilter ref="A1:Y301"/>' in sheet
    # LibreOffice shows an autofilter's buttons only with the filter's name.
    assert (
        '<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">\'机井台账\'!$A$1:$Y$301</definedName>'
        in workbook
    )
    assert '<definedName name="_xlnm.Print_Titles" localSheetId="0">\'机井台账\'!$1:$1</definedName>' in workbook

    pdf, pages = render(tmp_path, "ledger.xlsx", content)
    width, height = page_size(pdf)
    assert width > height  # landscape
    ledger_pages = [page for page in pages if "TEST-" in page]
    assert len(ledger_pages) >= 2
    for page in ledger_pages:
        # The header on every page, and every column to the last on the page's width.
        assert "机井编码" in page and "版本" in page


# 一井一档 and the campaign archive ------------------------------------------------------


def test_the_dossier_holds_the_card_notice_acceptance_history_and_attachments(
    zhongshan, campaign, staff, admin_user, clock
):
    well = WellFactory(code="CJ-ZSL-05", township=zhongshan, campaign=campaign)
    close(well, clock, accepted_on=datetime.date(2023, 6, 10), sealer=staff, accepter=admin_user)

    content = download(staff, reverse("api:well-dossier", kwargs={"code": well.code}))

    with zipfile.ZipFile(io.BytesIO(content)) as dossier:
        names = dossier.namelist()
        assert names == [
            "CJ-ZSL-05/机井档案卡.docx",
            "CJ-ZSL-05/关停通知书.docx",
            "CJ-ZSL-05/验收单.docx",
            "CJ-ZSL-05/历史记录.csv",
            "CJ-ZSL-05/附件/01-照片-封井.png",
        ]
        history = dossier.read("CJ-ZSL-05/历史记录.csv").decode("utf-8-sig").splitlines()
        card = docx.Document(io.BytesIO(dossier.read("CJ-ZSL-05/机井档案卡.docx")))
    assert history[0] == "时间,经办人,类别,变更内容,备注,版本"
    assert len(history) == 1 + WellChange.objects.filter(well=well).count()
    assert [row.split(",")[2] for row in history[-4:]] == ["关停流程操作"] * 4
    steps = [[cell.text for cell in row.cells][1] for row in card.tables[1].rows[1:]]
    assert steps == ["下达关停通知", "断电拆除", "封填", "验收销号"]  # an unlicensed well


def test_a_dossier_of_a_well_not_yet_served_holds_no_notice(well, officer):
    content = download(officer, reverse("api:well-dossier", kwargs={"code": well.code}))

    with zipfile.ZipFile(io.BytesIO(content)) as dossier:
        assert dossier.namelist() == [f"{well.code}/机井档案卡.docx", f"{well.code}/历史记录.csv"]


@pytest.mark.parametrize("persona", ["staff", "leader", "officer"])
def test_those_who_see_a_well_download_its_dossier(request, well, persona):
    user = request.getfixturevalue(persona)

    response = client_for(user).get(reverse("api:well-dossier", kwargs={"code": well.code}))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"


def test_an_officer_gets_404_for_another_townships_dossier(other_well, officer):
    response = client_for(officer).get(reverse("api:well-dossier", kwargs={"code": other_well.code}))

    assert response.status_code == 404


def test_a_member_unit_may_not_download_dossiers(well, member):
    assert client_for(member).get(reverse("api:well-dossier", kwargs={"code": well.code})).status_code == 403


def test_an_officers_campaign_archive_holds_only_the_officers_wells(well, other_well, officer, campaign):
    content = download(officer, reverse("api:campaign-archive", kwargs={"pk": campaign.pk}))

    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
    assert names[:2] == ["工作报告.docx", "机井台账.xlsx"]
    folders = {name.split("/")[1] for name in names if name.startswith("一井一档/")}
    assert folders == {well.code}


def test_the_archive_of_an_unknown_campaign_is_404(staff):
    response = client_for(staff).get(reverse("api:campaign-archive", kwargs={"pk": 999999}))

    assert response.status_code == 404


@pytest.mark.skipif(not MEASURABLE, reason="needs Linux's /proc/self/clear_refs")
def test_the_campaign_archive_of_a_thousand_wells_streams_in_bounded_memory(db, tmp_path, request):
    call_command("generate_wells", count=1000, seed=16, stdout=io.StringIO())
    staff = request.getfixturevalue("staff")  # after the generator, as above
    campaign = Well.objects.order_by("pk").last().campaign
    response = client_for(staff).get(reverse("api:campaign-archive", kwargs={"pk": campaign.pk}))
    assert response.status_code == 200
    assert response.streaming

    before = peak_rss_reset()
    largest = 0
    with open(tmp_path / "archive.zip", "wb") as out:
        for chunk in response.streaming_content:
            largest = max(largest, len(chunk))
            out.write(chunk)
    grown = proc_status("VmHWM") - before
    size = (tmp_path / "archive.zip").stat().st_size

    with zipfile.ZipFile(tmp_path / "archive.zip") as archive:
        assert archive.testzip() is None
        names = archive.namelist()
    cards = [name for name in names if name.endswith("/机井档案卡.docx")]
    assert len(cards) == Well.objects.filter(campaign=campaign).count() >= 900
    assert names[:2] == ["工作报告.docx", "机井台账.xlsx"]
    # Streamed: the archive (about 25 MB here) never sits in memory; the
    # writer's peak stays far below it, however many wells.
    assert size > 15 * 2**20
    assert largest < 4 * 2**20
    assert grown < size / 2, f"peak grew {grown / 2**20:.1f} MiB for an archive of {size / 2**20:.1f} MiB"
