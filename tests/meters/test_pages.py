"""The meter watch where people look: the import of the grid company's
export, the well page's chart, the dashboard's panel (with their query
counts at 5 and 50 rows)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from meters.ingest import ingest
from meters.models import MeterReading
from meters.watch import scan
from tests.factories import WellFactory
from tests.meters.conftest import at
from wells.choices import Status

pytestmark = pytest.mark.usefixtures("clock")

JUNE_14 = datetime.date(2023, 6, 14)


def export(text, name="2023年6月抄表.csv"):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


CSV = (
    "电表号,抄表时间,电量\n"
    "6501001,2023-06-13 08:00,5.5\n"
    "9999999,2023-06-13 08:00,1\n"
    "6501001,2023-06-14 08:00,-3\n"
    "6501001,昨天,1\n"
    "\n"
    "6501001,2023-06-14 09:00,2\n"
)


def test_the_import_checks_first_and_names_each_bad_row_by_sheet_and_row(client, staff, sealed_well):
    client.force_login(staff)

    checked = client.post("/meters/import/", {"file": export(CSV), "kind": "interval", "check": "1"})

    assert checked.status_code == 200
    assert not MeterReading.objects.exists()
    result = checked.context["result"]
    assert result.stored == 2
    assert [(e["sheet"], e["row"], e["field"]) for e in result.errors] == [
        ("CSV", 3, "meter_no"),
        ("CSV", 4, "kwh"),
        ("CSV", 5, "read_at"),
    ]
    assert "9999999" in checked.content.decode()


def test_the_import_stores_the_good_rows_and_a_second_upload_stores_nothing(client, staff, sealed_well):
    client.force_login(staff)

    stored = client.post("/meters/import/", {"file": export(CSV), "kind": "interval", "store": "1"})
    again = client.post("/meters/import/", {"file": export(CSV), "kind": "interval", "store": "1"})

    assert stored.context["result"].stored == 2
    assert MeterReading.objects.count() == 2
    assert (again.context["result"].stored, again.context["result"].duplicates) == (0, 2)


def test_a_file_without_the_exports_header_is_refused_with_a_reason(client, staff):
    client.force_login(staff)

    response = client.post("/meters/import/", {"file": export("a,b\n1,2\n"), "kind": "interval", "check": "1"})

    assert response.status_code == 400
    assert "电表号" in response.context["problem"]


@pytest.mark.parametrize("persona", ["officer", "member", "leader"])
def test_only_the_bureau_imports_readings(client, request, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get("/meters/import/").status_code == 403


@pytest.mark.parametrize("days", [5, 50])
def test_the_well_page_shows_the_chart_and_the_estimate_in_few_queries(
    client, staff, sealed_well, days, django_assert_max_num_queries
):
    first = JUNE_14 - datetime.timedelta(days=days - 1)
    ingest(
        [
            {"meter_no": sealed_well.meter_no, "read_at": at(first + datetime.timedelta(days=n)), "kwh": "2"}
            for n in range(days)
        ],
        "interval",
    )
    client.force_login(staff)

    # The meter panel's own: the daily series, the months, the coefficient
    # (own, then the defaults), the closure events, the open alerts.
    with django_assert_max_num_queries(45):
        response = client.get(reverse("wells:well", args=[sealed_well.code]))

    html = response.content.decode()
    assert 'data-testid="meter-chart"' in html
    assert "meters/meter_chart.js" in html
    panel = response.context["panels"][0]
    assert 'data-testid="meter-total-m3"' in panel
    assert f">{days * 2 * 3:.1f}<" in panel  # 2 kWh a day × 3.00 m³/kWh


def test_the_well_pages_query_count_does_not_grow_with_the_readings(
    client, staff, sealed_well, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(staff)
    counts = []
    for days in (5, 50):
        start = JUNE_14 - datetime.timedelta(days=days + 60)
        ingest(
            [
                {
                    "meter_no": sealed_well.meter_no,
                    "read_at": at(start + datetime.timedelta(days=n), 1 + days % 20),
                    "kwh": "1",
                }
                for n in range(days)
            ],
            "interval",
        )
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("wells:well", args=[sealed_well.code]))
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("count", [5, 50])
def test_the_dashboard_lists_closed_wells_drawing_electricity(
    client, staff, zhongshan, campaign, count, django_assert_max_num_queries
):
    wells = [
        WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED, meter_no=f"77{n:05d}")
        for n in range(count)
    ]
    ingest([{"meter_no": w.meter_no, "read_at": at(JUNE_14), "kwh": "9"} for w in wells], "interval")
    assert len(scan(JUNE_14)) == count
    client.force_login(staff)

    with django_assert_max_num_queries(60):
        response = client.get("/dashboard/")

    panel = next(p for p in response.context["panels"] if "meter-dashboard" in p)
    assert panel.count("<tr data-code=") == min(count, 10)
    assert f"井电双控发现 {count} 眼已关停取水井" in panel


def test_an_xlsx_export_with_a_title_row_and_bad_rows_is_read_by_sheet_and_row(client, staff, sealed_well):
    import io

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "6月"
    sheet.append(["国网昌吉供电公司 机井用电明细"])
    sheet.append(["电能表编号", "抄表日期", "本期示数"])
    sheet.append([6501001, datetime.datetime(2023, 6, 12, 8, 0), 100])
    sheet.append([6501001, datetime.datetime(2023, 6, 13, 8, 0), 90])
    sheet.append([6501001, datetime.datetime(2023, 6, 14, 8, 0), 112.5])
    data = io.BytesIO()
    book.save(data)
    upload = SimpleUploadedFile("export.xlsx", data.getvalue())
    client.force_login(staff)

    response = client.post("/meters/import/", {"file": upload, "kind": "register", "store": "1"})

    result = response.context["result"]
    assert result.stored == 2
    assert [(e["sheet"], e["row"], e["field"]) for e in result.errors] == [("6月", 4, "kwh")]
    assert [str(v) for v in MeterReading.objects.order_by("read_at").values_list("kwh", flat=True)] == [
        "100.00",
        "112.50",
    ]
