"""A leader's dashboard: the figures are the API summary's, the charts and
the map are drawn (without any tile server), and nothing on it writes."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, log_in, screenshot
from wells.models import Well

pytestmark = pytest.mark.browser

CANVAS_HAS_INK = """element => {
  const canvas = element.querySelector('canvas');
  if (!canvas || !canvas.width || !canvas.height) return false;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) return true;
  return false;
}"""


def test_leader_dashboard_shows_the_api_summary_and_draws_the_charts_and_the_map(open_page, campaign_under_way):
    page = open_page(**DESKTOP)
    log_in(page, "leader")
    expect(page).to_have_url(re.compile(r"/dashboard/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    summary = page.evaluate(
        "async url => (await fetch(url)).json()", page.get_by_test_id("summary-api").get_attribute("href")
    )
    totals = summary["totals"]
    assert (totals["total"], totals["accepted"], totals["sealed"], totals["retained"]) == (36, 8, 2, 11)
    for name in ("total", "to_close", "accepted", "sealed", "overdue", "retained"):
        assert int(page.get_by_test_id(f"figure-{name}").get_attribute("data-value")) == totals[name], name
    assert float(page.get_by_test_id("figure-completion_rate").get_attribute("data-value")) == totals["completion_rate"]
    unit_rows = page.get_by_test_id("unit-row")
    expect(unit_rows).to_have_count(len(summary["units"]))
    for unit in summary["units"]:
        row = page.locator(f'[data-testid=unit-row][data-unit="{unit["unit"]}"]')
        assert int(row.locator("[data-field=accepted]").inner_text()) == unit["accepted"]
        assert int(row.locator("[data-field=to_close]").inner_text()) == unit["to_close"]
        assert int(row.locator("[data-field=overdue]").inner_text()) == unit["overdue"]

    for chart in ("chart-progress", "chart-units", "chart-funnel"):
        expect(page.get_by_test_id(chart)).to_have_attribute("data-drawn", "true")
        assert page.get_by_test_id(chart).evaluate(CANVAS_HAS_INK), f"{chart} is blank"
    located = Well.objects.exclude(lat=None).count()
    expect(page.locator("#well-map path.well-marker")).to_have_count(located)
    expect(page.locator("#well-map .leaflet-tile")).to_have_count(0)  # no tile server set: none is asked for
    legend = page.get_by_test_id("map-legend").locator("li")
    expect(legend).to_have_count(8)
    expect(legend.first).to_be_visible()

    # Read-only: nothing in the page's body posts.
    expect(page.locator("main form[method=post]")).to_have_count(0)
    # Its only button downloads the work report (a GET form).
    expect(page.locator("main button")).to_have_count(1)
    expect(page.locator("main form[method=get] button[data-testid=work-report]")).to_have_count(1)
    expect(page.locator("[data-testid^=action-]")).to_have_count(0)
    screenshot(page, "dashboard", docs_name="dashboard")

    with page.expect_download() as report:
        page.get_by_test_id("work-report").click()
    with report.value.path().open("rb") as docx:
        assert docx.read(2) == b"PK"  # a real .docx (zip); its figures are checked in tests/test_reports.py

    page.get_by_test_id("switch-language").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_test_id("chart-progress")).to_have_attribute("data-drawn", "true")
    screenshot(page, "dashboard-en")


def test_a_large_campaign_is_mapped_one_circle_per_township(open_page, campaign_under_way, settings):
    settings.MAP_POINT_LIMIT = 5
    page = open_page(**DESKTOP)
    log_in(page, "leader")

    areas = page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent).areas")
    assert areas and sum(area["wells"] for area in areas) == Well.objects.exclude(lat=None).count()
    expect(page.locator("#well-map path.well-area")).to_have_count(len(areas))
    expect(page.locator("#well-map path.well-marker")).to_have_count(0)
    expect(page.get_by_test_id("map-note")).to_contain_text("乡镇")

    page.locator("#well-map path.well-area").first.click(force=True)
    popup = page.locator(".leaflet-popup-content")
    expect(popup).to_contain_text(areas[0]["name"])
    expect(popup).to_contain_text("完成率")
