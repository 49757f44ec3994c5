"""The meter watch on a phone (390 px): a sealed demo well drawing
electricity has its alert ticket, its chart drawn with the closure steps,
and the estimate; the dashboard lists it; the import page fits."""

import datetime

import pytest
from django.utils import timezone

from meters.ingest import ingest
from meters.watch import day_bounds, scan
from tests.browser.conftest import PHONE, log_in, screenshot
from wells.models import Well

pytestmark = pytest.mark.browser

WELL = "CJ-NBL-06"  # sealed in the campaign under way


def test_a_sealed_well_drawing_electricity_shows_its_chart_and_alert_on_a_phone(open_page, campaign_under_way):
    well = Well.objects.get(code=WELL)
    today = timezone.localdate()
    readings = [
        {
            "meter_no": well.meter_no,
            "read_at": (day_bounds(today - datetime.timedelta(days=n))[0] + datetime.timedelta(hours=8)).isoformat(),
            "kwh": "6.50" if n < 5 else "0.00",
        }
        for n in range(40, 0, -1)
    ]
    assert ingest(readings, "interval").stored == 40
    assert [t.well.code for t in scan(today - datetime.timedelta(days=1))] == [WELL]

    page = open_page(**PHONE)
    log_in(page, "staff")
    page.goto(f"/well/{WELL}/")
    page.wait_for_load_state("networkidle")
    chart = page.get_by_test_id("meter-chart")
    chart.scroll_into_view_if_needed()
    assert chart.get_attribute("data-drawn") == "true"
    assert page.get_by_test_id("meter-alert").count() == 1
    assert "26.0" in page.get_by_test_id("meter-months").inner_text()  # 4 days × 6.5 kWh
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    screenshot(page, "meter-well-phone")

    page.goto("/dashboard/")
    page.wait_for_load_state("networkidle")
    assert page.get_by_test_id("meter-drawing").locator(f"tr[data-code='{WELL}']").count() == 1
    screenshot(page, "meter-dashboard-phone")

    page.goto("/meters/import/")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1]
    screenshot(page, "meter-import-phone")
