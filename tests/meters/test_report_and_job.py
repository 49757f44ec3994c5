"""The work report's 回头看 sentence with the meter watch's figures, and the
daily job."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection

from meters.watch import report_figures, scan
from tasks.reports import WorkReportFigures, _supervision_sentence
from wells import changes
from wells.choices import InspectionResult
from wells.models import Well

pytestmark = pytest.mark.usefixtures("clock")

JUNE_14 = datetime.date(2023, 6, 14)
JUNE_15 = datetime.date(2023, 6, 15)


def sentence(campaign, **figures):
    f = WorkReportFigures(campaign=campaign, as_of=JUNE_15, area="昌吉市")
    for name, value in figures.items():
        setattr(f, name, value)
    return _supervision_sentence(f)


def test_the_no_reuse_sentence_is_not_claimed_while_a_meter_alert_is_open(campaign, sealed_well, send):
    send(sealed_well.meter_no, [(JUNE_14, 8, "9.00")])
    scan(JUNE_14)

    figures = report_figures(Well.objects.filter(campaign=campaign), campaign, JUNE_15)
    text = sentence(campaign, inspections=3, **figures)

    assert figures == {"meter_watch": True, "meter_alerts": 1, "meter_alert_wells": 1, "meter_alerts_open": 1}
    # What the inspections found, and what the meters say beside it.
    assert "共开展巡查检查3次，现场检查未发现已关停取水井重新启用的情况。" in text
    assert "通过井电双控监测发现疑似复启取水井1眼（预警1次），其中1次正在由责任单位核查处置。" in text
    assert "，未发现已关停取水井重新启用的情况" not in text


def test_once_settled_the_report_says_so(campaign, sealed_well, send, officer):
    send(sealed_well.meter_no, [(JUNE_14, 8, "9.00")])
    scan(JUNE_14)
    changes.record_inspection(
        sealed_well, actor=officer, values={"inspected_on": JUNE_15, "result": InspectionResult.INTACT}
    )

    figures = report_figures(Well.objects.filter(campaign=campaign), campaign, JUNE_15)
    text = sentence(campaign, inspections=1, **figures)

    assert figures["meter_alerts_open"] == 0
    assert "未发现已关停取水井重新启用的情况。" in text
    assert "通过井电双控监测发现疑似复启取水井1眼（预警1次），均已现场核查处置。" in text


def test_readings_without_alerts_make_the_sentence_true_with_its_figures(campaign, sealed_well, send):
    send(sealed_well.meter_no, [(JUNE_14, 8, "0.00")])

    figures = report_figures(Well.objects.filter(campaign=campaign), campaign, JUNE_15)

    assert sentence(campaign, inspections=1, **figures).endswith(
        "未发现已关停取水井重新启用的情况。通过井电双控监测已关停取水井用电情况，未发现异常用电。"
    )


def test_without_readings_the_sentence_is_as_before(campaign):
    figures = report_figures(Well.objects.filter(campaign=campaign), campaign, JUNE_15)

    assert "井电双控" not in sentence(campaign, inspections=1, **figures)


def test_the_daily_job_scans_yesterday_and_opens_nothing_twice(sealed_well, send, capsys):
    send(sealed_well.meter_no, [(JUNE_14, 8, "9.00")])

    call_command("meter_watch")
    call_command("meter_watch", "--day", "2023-06-14")

    out = capsys.readouterr().out
    assert "2023-06-14: 1 alert ticket(s) opened" in out
    assert "2023-06-14: 0 alert ticket(s) opened" in out


@pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's (SQLite: a plain table)")
def test_the_daily_job_creates_the_partitions_ahead(db):
    from meters import partitions

    call_command("meter_watch", "--months-ahead", "3")

    with connection.cursor() as cursor:
        names = partitions.existing(cursor)
    assert {"meters_meterreading_202306", "meters_meterreading_202307", "meters_meterreading_202308"} <= names
