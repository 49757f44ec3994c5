"""The Word documents: the closure notice (one well or a batch), the
acceptance form, and the work report with every figure from the ledger as
of its date. Each document is opened again with python-docx and read."""

import datetime
import io
import struct
import zlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import docx
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tasks.models import GroundwaterReading, MonitoringWell, PublicityRecord
from tasks.reports import groundwater_rise, one_year_before
from tests.factories import WellFactory
from wells.choices import Action, Category, InspectionResult, Status, Use
from wells.models import Campaign, Inspection, Well
from wells.reports import place
from wells.uploads import store_attachment
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

SHANGHAI = ZoneInfo("Asia/Shanghai")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LICENCE_NO = "取水(昌)字〔2015〕第021号"


def on(clock, day):
    clock.move_to(datetime.datetime.combine(day, datetime.time(10), tzinfo=SHANGHAI))


def png_bytes():
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff"))
        + chunk(b"IEND", b"")
    )


def close(well, clock, *, accepted_on, sealer, accepter, notice_no="中街发〔2023〕1号"):
    """Take ``well`` from the ledger to acceptance, one action a day up to
    ``accepted_on``, as the bureau does."""
    day = accepted_on - datetime.timedelta(days=5)
    on(clock, day)
    perform(
        well,
        Action.NOTIFY,
        actor=sealer,
        data={"notice_no": notice_no, "served_on": day, "comply_by": day + datetime.timedelta(days=1)},
    )
    if well.license_no:
        day += datetime.timedelta(days=1)
        on(clock, day)
        perform(
            well, Action.REVOKE_LICENSE, actor=sealer, data={"revocation_no": "昌水许销〔2023〕3号", "revoked_on": day}
        )
    day += datetime.timedelta(days=1)
    on(clock, day)
    perform(well, Action.DISCONNECT, actor=sealer, data={"disconnected_on": day})
    day += datetime.timedelta(days=1)
    on(clock, day)
    photo = store_attachment(
        well=well,
        kind="photo",
        upload=SimpleUploadedFile("封井.png", png_bytes(), content_type="image/png"),
        uploaded_by=sealer,
    )
    perform(
        well,
        Action.SEAL,
        actor=sealer,
        data={"sealed_on": day, "method": "水泥砂浆封填", "attachments": [photo.pk]},
    )
    on(clock, accepted_on)
    perform(well, Action.ACCEPT, actor=accepter, data={"accepted_on": accepted_on, "inspectors": "王工、李工"})
    well.refresh_from_db()
    return well


def client_for(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def fetch_document(user, url, **query):
    response = client_for(user).get(url, query)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == DOCX
    return docx.Document(io.BytesIO(b"".join(response.streaming_content)))


def text_of(document):
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


def table_rows(table):
    return [[cell.text for cell in row.cells] for row in table.rows]


def facts(table):
    """A table of item and value pairs, two or four columns wide, as a dict."""
    pairs = {}
    for row in table_rows(table):
        for index in range(0, len(row), 2):
            if row[index]:
                pairs[row[index]] = row[index + 1]
    return pairs


# The closure notice -------------------------------------------------------------


def test_the_closure_notice_is_filled_from_the_well_and_its_notice(zhongshan, campaign, staff, clock):
    well = WellFactory(
        code="CJ-ZSL-09",
        township=zhongshan,
        campaign=campaign,
        owner_name="昌吉某某公司",
        village="三村",
        uses=[Use.DOMESTIC, Use.IRRIGATION],
        category=Category.LICENSED,
        license_no=LICENCE_NO,
        deadline=datetime.date(2023, 11, 30),
    )
    perform(
        well,
        Action.NOTIFY,
        actor=staff,
        data={"notice_no": "中街发〔2023〕7号", "served_on": "2023-06-01", "comply_by": "2023-06-30"},
    )

    document = fetch_document(staff, reverse("api:well-notice", kwargs={"code": "CJ-ZSL-09"}))

    text = text_of(document)
    assert "机电井关停通知书" in text
    assert "中街发〔2023〕7号" in text
    assert "昌吉某某公司：" in text
    assert "位于中山路街道三村的机井（机井编码：CJ-ZSL-09，基本情况见附件）地处地下水禁采区" in text
    assert f"取水许可证（{LICENCE_NO}）" in text
    assert "先通水后关停" in text
    assert "请你（单位）于2023年6月30日前自行停止取水" in text
    assert "《测试关停行动》（测政办发〔2022〕1号）" in text
    assert "2023年6月1日" in text  # the day it was served, under the signature
    assert "六十日内依法向本地人民政府申请行政复议" in text
    assert "六个月内依法向人民法院提起行政诉讼" in text
    assert "联系单位：中山路街道办事处。" in text  # the campaign has no lead unit
    well_table, receipt = document.tables
    assert facts(well_table)["用途"] == "生活、农灌"
    assert facts(well_table)["类别"] == "有证不合规"
    assert facts(well_table)["责任单位"] == "中山路街道办事处"
    # One comply-by date, the notice's, in the body and the table alike.
    assert facts(well_table)["停止取水期限"] == "2023年6月30日"
    assert "限期" not in facts(well_table)
    assert "2023年11月30日" not in text
    assert facts(receipt)["受送达人"] == "昌吉某某公司"


def test_a_notice_before_it_is_served_is_a_draft_with_no_date_no_one_decided(well, staff):
    document = fetch_document(staff, reverse("api:well-notice", kwargs={"code": well.code}))

    text = text_of(document)
    assert text.startswith("机电井关停通知书（草稿）\n本井尚未下达关停通知。")
    assert "不得送达" in text
    assert "2023年11月30日" not in text  # the well's deadline is not the owner's comply-by date
    assert "请你（单位）于　　　　年　　月　　日前自行停止取水" in text
    assert facts(document.tables[0])["停止取水期限"] == "　　　　年　　月　　日"
    assert "取水许可证" not in text.split("特此通知")[0]  # an unlicensed well


def test_the_notice_writes_the_place_as_a_person_does(zhongshan, campaign, staff):
    named = WellFactory(township=zhongshan, campaign=campaign, village="中山路街道一村")
    plain = WellFactory(township=zhongshan, campaign=campaign, village="二村")

    text = text_of(fetch_document(staff, reverse("api:well-notices"), code=[named.code, plain.code]))

    assert "你（单位）位于中山路街道一村的机井" in text
    assert "你（单位）位于中山路街道二村的机井" in text
    assert "中山路街道中山路街道" not in text
    assert place(Well(village="", township=None)) == ""  # then the notice says no place at all


def test_a_batch_notice_holds_one_notice_per_well_in_the_order_asked(zhongshan, campaign, officer):
    for code in ("ZS-1", "ZS-2", "ZS-3"):
        WellFactory(code=code, township=zhongshan, campaign=campaign, owner_name=f"户主{code}")

    document = fetch_document(officer, reverse("api:well-notices"), code=["ZS-3", "ZS-1,ZS-2"])

    text = text_of(document)
    assert text.count("机电井关停通知书") == 3
    assert text.index("户主ZS-3：") < text.index("户主ZS-1：") < text.index("户主ZS-2：")
    assert len(document.tables) == 6  # the well's facts and the receipt, per notice


def test_a_batch_with_a_well_out_of_scope_is_answered_404(well, other_well, officer):
    response = client_for(officer).get(reverse("api:well-notices"), {"code": [well.code, other_well.code]})

    assert response.status_code == 404
    assert other_well.code in response.json()["detail"]


def test_a_batch_needs_at_least_one_code(well, staff):
    response = client_for(staff).get(reverse("api:well-notices"))

    assert response.status_code == 400
    assert response.json() == {"code": ["Name at least one well."]}


def test_an_officer_gets_404_for_another_townships_well(other_well, officer):
    for name in ("api:well-notice", "api:well-acceptance"):
        response = client_for(officer).get(reverse(name, kwargs={"code": other_well.code}))
        assert response.status_code == 404


@pytest.mark.parametrize("persona", ["member", "leader"])
def test_closure_documents_are_for_the_bureau_and_the_townships(request, well, persona):
    user = request.getfixturevalue(persona)

    response = client_for(user).get(reverse("api:well-notice", kwargs={"code": well.code}))

    assert response.status_code == 403


# The acceptance form -------------------------------------------------------------


def test_the_acceptance_form_records_each_step_and_the_acceptance(zhongshan, campaign, staff, admin_user, clock):
    well = WellFactory(
        code="CJ-ZSL-05",
        township=zhongshan,
        campaign=campaign,
        category=Category.LICENSED,
        license_no=LICENCE_NO,
    )
    close(well, clock, accepted_on=datetime.date(2023, 6, 10), sealer=staff, accepter=admin_user)

    document = fetch_document(staff, reverse("api:well-acceptance", kwargs={"code": "CJ-ZSL-05"}))

    assert "地下水禁采区机电井关停验收单" in text_of(document)
    form, signatures, photos = document.tables
    rows = facts(form)
    assert rows["关停通知书"] == "中街发〔2023〕1号，2023年6月5日送达"
    assert rows["取水许可注销"] == "昌水许销〔2023〕3号，2023年6月6日注销"
    assert rows["替代水源接通"] == "不涉及（无生活用水）"
    assert rows["断电拆除"] == "2023年6月7日"
    assert rows["封填"] == "2023年6月8日，水泥砂浆封填"
    assert rows["现场照片"] == "1张（见附页）"
    assert len(document.inline_shapes) == 1  # the sealing photo, as a thumbnail
    assert "封井.png" in table_rows(photos)[0][0]
    assert rows["验收意见"].startswith("经现场核查")
    assert rows["验收日期"] == "2023年6月10日"
    assert rows["验收人员"] == "王工、李工"
    assert table_rows(signatures)[0] == ["实施单位（盖章）", "供电单位（盖章）", "水行政主管部门（盖章）"]


def test_the_acceptance_form_of_a_well_still_open_leaves_the_acceptance_blank(well, officer):
    document = fetch_document(officer, reverse("api:well-acceptance", kwargs={"code": well.code}))

    rows = facts(document.tables[0])
    assert rows["关停通知书"] == "未送达"
    assert rows["取水许可注销"] == "不涉及（无取水许可）"
    assert rows["封填"] == "未完成"
    assert rows["验收意见"].strip() == ""
    assert rows["验收人员"].strip() == ""
    assert rows["现场照片"] == "无"
    assert len(document.inline_shapes) == 0


# The work report ------------------------------------------------------------------


@pytest.fixture
def changji(db, clock, staff, admin_user):
    """The Changji demo campaign, with two wells closed, one closed and
    found in use again, publicity, inspections and groundwater readings."""
    call_command("load_demo", stdout=io.StringIO())
    campaign = Campaign.objects.get(notice_no="昌市政办发〔2022〕7号")
    wells = {well.code: well for well in Well.objects.filter(campaign=campaign)}
    close(wells["CJ-ZSL-05"], clock, accepted_on=datetime.date(2023, 5, 10), sealer=staff, accepter=admin_user)
    close(wells["CJ-ZSL-06"], clock, accepted_on=datetime.date(2023, 5, 1), sealer=staff, accepter=admin_user)
    close(wells["CJ-ZSL-09"], clock, accepted_on=datetime.date(2023, 6, 1), sealer=staff, accepter=admin_user)

    on(clock, datetime.date(2023, 4, 1))
    Inspection.objects.create(
        well=wells["CJ-NBL-01"], inspected_on="2023-04-01", inspector_name="巡查员", result=InspectionResult.INTACT
    )
    on(clock, datetime.date(2023, 6, 10))
    Inspection.objects.create(
        well=wells["CJ-ZSL-05"], inspected_on="2023-06-10", inspector_name="巡查员", result=InspectionResult.INTACT
    )
    on(clock, datetime.date(2023, 6, 12))
    found = Inspection.objects.create(
        well=wells["CJ-ZSL-06"], inspected_on="2023-06-12", inspector_name="巡查员", result=InspectionResult.IN_USE
    )
    perform(
        wells["CJ-ZSL-06"],
        Action.REACTIVATE,
        actor=staff,
        data={"reason": "复查发现抽水", "inspection": found.pk, "deadline": "2023-12-31"},
    )
    on(clock, datetime.date(2023, 6, 15))

    bureau = campaign.lead_unit
    for kind, count, day in [
        ("post", 12, "2023-03-01"),
        ("slogan", 30, "2023-03-05"),
        ("handbook", 500, "2023-03-05"),
        ("meeting", 3, "2023-03-10"),
        ("meeting", 1, "2023-05-20"),
        ("post", 99, "2023-06-14"),
    ]:
        PublicityRecord.objects.create(campaign=campaign, unit=bureau, kind=kind, count=count, held_on=day)

    readings = {
        "MW-1": [("2022-06-10", "12.50"), ("2023-06-10", "12.10")],
        "MW-2": [("2022-06-01", "20.00"), ("2023-06-05", "19.70")],
        "MW-3": [("2023-06-01", "30.00")],  # no reading a year before: not compared
        "MW-4": [("2022-01-01", "9.00"), ("2023-06-01", "5.00")],  # too old a year before
    }
    for code, values in readings.items():
        monitoring_well = MonitoringWell.objects.create(code=code, name=f"监测井{code}")
        for day, depth in values:
            GroundwaterReading.objects.create(monitoring_well=monitoring_well, measured_on=day, depth_to_water_m=depth)
    return campaign


def report(user, campaign, as_of):
    return fetch_document(user, reverse("api:work-report"), campaign=campaign.pk, as_of=as_of.isoformat())


def test_the_work_report_fills_every_figure_from_the_ledger(changji, staff):
    document = report(staff, changji, datetime.date(2023, 6, 13))
    text = text_of(document)

    assert text.startswith("关于昌吉市取水井关停工作情况的报告\n昌吉市人民政府：\n")
    assert "按照《昌吉市2022年地下水禁采区36眼机电井关停方案》（昌市政办发〔2022〕7号）的部署" in text
    assert "现将截至2023年6月13日的工作情况报告如下" in text
    assert "[X]" not in text and "[工作开展地区]" not in text and "[报告日期]" not in text
    assert "共登记取水井36眼，确定需关停的取水井25眼" in text
    assert "共发布各类宣传信息12条，张贴宣传标语30张，发放宣传手册500份，召开会议4次" in text
    # CJ-ZSL-05 closed; CJ-ZSL-06 closed and found in use on 12 June.
    assert "依法强制关停。已关停并验收销号此类取水井1眼。" in text
    assert "改用地表水或其他替代水源。已关停并验收销号此类取水井1眼。" in text
    assert "共保留此类取水井11眼。" in text
    assert "截至2023年6月13日，已累计关停并验收销号取水井2眼，完成率8.0%" in text
    assert "其中超过限期尚未完成关停的3眼（见附表2）" in text
    assert "共开展巡查检查3次，其中对已关停取水井的“回头看”2次，发现已关停取水井重新启用1眼（1次）" in text
    assert "地下水位较去年同期有所回升，回升幅度达到0.35米（2眼监测井平均）" in text
    assert "各责任单位进度见附表1" in text


def test_the_work_report_counts_as_of_its_date_not_as_of_today(changji, staff):
    text = text_of(report(staff, changji, datetime.date(2023, 5, 20)))

    # By 20 May: CJ-ZSL-06 (1 May) and CJ-ZSL-05 (10 May) accepted, both
    # unlicensed; CJ-ZSL-09 not yet; no inspection of a closed well yet.
    assert "依法强制关停。已关停并验收销号此类取水井2眼。" in text
    assert "改用地表水或其他替代水源。已关停并验收销号此类取水井0眼。" in text
    assert "已累计关停并验收销号取水井2眼，完成率8.0%" in text
    assert "共发布各类宣传信息12条，张贴宣传标语30张，发放宣传手册500份，召开会议4次" in text
    assert "共开展巡查检查1次，未发现已关停取水井重新启用的情况。" in text
    assert "回头看”2" not in text
    assert "尚无可与去年同期比较的地下水位监测数据" in text


def test_the_work_report_has_a_table_per_responsible_unit_and_lists_the_overdue_wells(changji, staff):
    document = report(staff, changji, datetime.date(2023, 6, 13))

    units, overdue = document.tables
    rows = table_rows(units)
    assert rows[0] == ["责任单位", "机井总数", "应关停", "已验收销号", "保留", "超期", "完成率(%)"]
    by_unit = {row[0]: row[1:] for row in rows[1:]}
    assert by_unit["中山路街道办事处"] == ["9", "9", "2", "0", "0", "22.2"]
    assert by_unit["市城市管理局"] == ["11", "0", "0", "11", "0", "—"]
    assert by_unit["滨湖镇人民政府"] == ["1", "1", "0", "0", "1", "0.0"]
    assert by_unit["合计"] == ["36", "25", "2", "11", "3", "8.0"]
    overdue_rows = table_rows(overdue)
    assert overdue_rows[0] == ["序号", "机井编码", "取水户", "乡镇(街道)", "责任单位", "限期", "状态", "超期天数"]
    assert [row[1] for row in overdue_rows[1:]] == ["CJ-BH-01", "CJ-JGL-01", "CJ-SW-01"]
    assert overdue_rows[1][5:] == ["2022-11-30", "已排查登记", "195"]


def test_a_leader_reads_the_work_report_and_an_officer_may_not(changji, leader, officer):
    assert "取水井关停工作情况的报告" in text_of(report(leader, changji, datetime.date(2023, 6, 13)))

    response = client_for(officer).get(reverse("api:work-report"), {"campaign": changji.pk})
    assert response.status_code == 403


def test_the_work_report_defaults_to_the_latest_campaign_and_today(changji, staff):
    text = text_of(fetch_document(staff, reverse("api:work-report")))

    assert "现将截至2023年6月15日的工作情况报告如下" in text
    assert "昌市政办发〔2022〕7号" in text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"as_of": "2023-06-16"}, "as_of"),
        ({"as_of": "1999-12-31"}, "as_of"),
        ({"as_of": "15/06/2023"}, "as_of"),
        ({"campaign": "999999"}, "campaign"),
        ({"campaign": "-1"}, "campaign"),
    ],
)
def test_a_bad_date_or_campaign_is_answered_400(changji, staff, query, field):
    response = client_for(staff).get(reverse("api:work-report"), query)

    assert response.status_code == 400
    assert field in response.json()


def test_the_groundwater_rise_compares_the_same_monitoring_wells_a_year_apart(db):
    up = MonitoringWell.objects.create(code="A", name="甲")
    GroundwaterReading.objects.create(monitoring_well=up, measured_on="2023-02-20", depth_to_water_m="10.00")
    GroundwaterReading.objects.create(monitoring_well=up, measured_on="2024-02-28", depth_to_water_m="10.40")

    assert one_year_before(datetime.date(2024, 2, 29)) == datetime.date(2023, 2, 28)
    # The water table fell: the depth to water grew by 0.40 m.
    assert groundwater_rise(datetime.date(2024, 2, 29)) == (Decimal("-0.40"), 1)


def test_a_well_registered_after_the_reports_date_is_not_counted(changji, staff, zhongshan):
    WellFactory(code="LATE-1", township=zhongshan, campaign=changji, status=Status.INVENTORIED)  # on 15 June

    assert "共登记取水井36眼" in text_of(report(staff, changji, datetime.date(2023, 6, 13)))
    assert "共登记取水井37眼" in text_of(report(staff, changji, datetime.date(2023, 6, 15)))


def test_the_report_of_today_reads_the_current_states_and_agrees_with_the_history(changji, monkeypatch):
    from tasks import reports

    today = datetime.date(2023, 6, 15)
    current = reports.work_report_figures(Well.objects.all(), changji, today)
    # Pretend today is later: the report of 15 June is then read from the history.
    localdate = reports.timezone.localdate
    monkeypatch.setattr(
        reports.timezone, "localdate", lambda *moment: localdate(*moment) if moment else datetime.date(2023, 6, 16)
    )
    from_history = reports.work_report_figures(Well.objects.all(), changji, today)

    for name in ("total", "retained", "accepted", "accepted_by_category", "inspections", "revisits", "reuse_found"):
        assert getattr(current, name) == getattr(from_history, name), name
    assert current.most_overdue == from_history.most_overdue
    assert (current.accepted, current.revisits, current.overdue_count) == (2, 2, 3)
