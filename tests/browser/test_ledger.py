"""Bureau staff filter the ledger: the rows are the API's rows under the
same query string; sorting, the Excel link and the bulk notice keep it."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, log_in, screenshot
from wells.choices import Action, Status
from wells.models import Well, WellEvent

pytestmark = pytest.mark.browser

FETCH_API = """async () => {
  const response = await fetch('/api/v1/wells/' + location.search, {headers: {Accept: 'application/json'}});
  return response.json();
}"""


FETCH_TYPE = """async url => {
  const response = await fetch(url);
  return response.ok ? response.headers.get('Content-Type') : String(response.status);
}"""
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml"


def row_codes(page):
    return page.get_by_test_id("ledger-row").evaluate_all("rows => rows.map(row => row.dataset.code)")


def test_staff_filter_the_ledger_and_the_rows_match_the_api(open_page, campaign_under_way):
    page = open_page(**DESKTOP)
    log_in(page, "staff")
    expect(page).to_have_url(re.compile(r"/wells/$"))
    expect(page.get_by_test_id("ledger-count")).to_have_text("36")

    page.locator("details.filters summary").click()
    filters = page.get_by_test_id("ledger-filters")
    filters.locator("select[name=township]").select_option(label="宁边路街道")
    filters.locator(f"input[name=status][value={Status.ACCEPTED}]").check()
    filters.locator(f"input[name=status][value={Status.SEALED}]").check()
    page.get_by_test_id("apply-filters").click()

    rows = page.get_by_test_id("ledger-row")
    expect(rows).to_have_count(7)  # 宁边路: five accepted, two sealed
    api = page.evaluate(FETCH_API)
    assert api["count"] == rows.count() == int(page.get_by_test_id("ledger-count").inner_text())
    assert sorted(row_codes(page)) == sorted(well["code"] for well in api["results"])
    screenshot(page, "ledger-filtered")

    page.get_by_test_id("sort-deadline").click()
    expect(page).to_have_url(re.compile(r"ordering=deadline"))
    page.get_by_test_id("sort-deadline").click()
    expect(page).to_have_url(re.compile(r"ordering=-deadline"))
    assert row_codes(page) == [well["code"] for well in page.evaluate(FETCH_API)["results"]]

    search = page.evaluate("location.search")
    export = page.get_by_test_id("export-xlsx").get_attribute("href")
    assert export == f"/api/v1/exports/wells.xlsx{search}"
    assert page.evaluate(FETCH_TYPE, export).startswith(XLSX)


def test_staff_serve_each_ticked_well_its_own_numbered_notice(open_page, campaign_under_way):
    page = open_page(**DESKTOP)
    log_in(page, "staff")
    page.goto(f"/wells/?township=zhongshanlu&status={Status.INVENTORIED}")
    expect(page.get_by_test_id("ledger-row")).to_have_count(5)  # CJ-ZSL-01…05
    chosen = row_codes(page)[:2]
    for code in chosen:
        page.locator(f'input[name=wells][value="{code}"]').check()
    page.get_by_test_id("bulk-notify").click()

    expect(page.get_by_test_id("selected-wells").locator("li")).to_have_count(2)
    form = page.get_by_test_id("bulk-form")
    # No number to type: each notice takes the campaign's next one.
    expect(form.locator("[name=notice_no]")).to_have_count(0)
    form.locator("[name=served_on]").fill("2023-11-01")
    form.locator("[name=comply_by]").fill("2023-11-20")
    page.get_by_test_id("submit-bulk").click()

    expect(page.get_by_test_id("message").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"/wells/\?township=zhongshanlu&status=inventoried$"))
    expect(page.get_by_test_id("ledger-row")).to_have_count(3)
    notices = page.locator(".messages a").get_attribute("href")
    assert page.evaluate(FETCH_TYPE, notices).startswith(DOCX)
    assert set(Well.objects.filter(code__in=chosen).values_list("status", flat=True)) == {Status.NOTIFIED}
    served = WellEvent.objects.filter(well__code__in=chosen, action=Action.NOTIFY, actor_name="李科员")
    numbers = [event.data["notice_no"] for event in served]
    assert len(numbers) == 2 and len(set(numbers)) == 2
    assert all(number.startswith("昌水关〔2023〕第") for number in numbers)
