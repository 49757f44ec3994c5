"""Each role finishes its own part on a phone, without the API or the admin:
the water company records the replacement supply with a photo, the grid
cuts the power, the investment company seals, the bureau accepts; an
officer edits a well's facts; staff cut the power of a mixed selection and
see which wells were skipped and why."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, log_in, png_bytes, screenshot, walk
from wells.choices import Action, ChangeKind, Status
from wells.models import Well, WellChange

pytestmark = pytest.mark.browser

WELL = "CJ-ZSL-01"  # domestic, unlicensed, of 中山路街道


def photo(name):
    return {"name": name, "mimeType": "image/png", "buffer": png_bytes()}


def sign_in_on_a_phone(open_page, username):
    page = open_page(**PHONE)
    log_in(page, username)
    return page


def test_water_grid_investco_and_staff_close_a_domestic_well_from_their_phones(open_page, demo):
    walk(WELL, datetime.date(2023, 6, 1), Action.NOTIFY, staff=demo["staff"], admin=demo["admin"])

    # The grid company cannot cut the power yet, and is told for whom it waits.
    grid = sign_in_on_a_phone(open_page, "grid")
    grid.goto(f"/well/{WELL}/")
    expect(grid.get_by_test_id("action-disconnect")).to_have_count(0)
    expect(grid.locator("[data-testid=plan-step][data-step=disconnect] [data-testid=plan-waiting]")).to_have_text(
        "等待市清源水务有限责任公司「接通替代水源」"
    )

    # The water company records the supply from its task list, with a photo.
    water = sign_in_on_a_phone(open_page, "water")
    expect(water).to_have_url(re.compile(r"/tasks/mine/$"))
    water.locator(f'[data-testid=task][data-well="{WELL}"] [data-testid=task-do]').click()
    form = water.get_by_test_id("supply-form")
    form.locator("[name=supply_connected_on]").fill("2023-06-10")
    form.locator("input[name=photos]").set_input_files(files=[photo("通水.png")])
    assert form.locator("input[name=photos]").get_attribute("capture") is None  # camera or gallery
    screenshot(water, "roles-1-water-supply", docs_name="water-supply")
    water.get_by_test_id("submit-supply").click()
    expect(water.locator("[data-testid=plan-step][data-step=supply]")).to_have_attribute("data-status", "done")

    # The grid cuts the power from its well page, then sees no seal button.
    grid.goto(f"/well/{WELL}/")
    grid.get_by_test_id("action-disconnect").click()
    grid.locator("[name=disconnected_on]").fill("2023-06-12")
    grid.get_by_test_id("submit-action").click()
    expect(grid.get_by_test_id("well-status")).to_have_attribute("data-status", Status.DISCONNECTED)
    expect(grid.get_by_test_id("action-seal")).to_have_count(0)

    # The investment company seals with a photo from its task list.
    investco = sign_in_on_a_phone(open_page, "investco")
    investco.locator(f'[data-testid=task][data-well="{WELL}"] [data-testid=task-do]').click()
    investco.locator("[name=sealed_on]").fill("2023-06-14")
    investco.locator("[name=method]").fill("黏土、砂石分层回填，混凝土封口")
    investco.locator("input[name=photos]").set_input_files(files=[photo("封井.png")])
    investco.get_by_test_id("submit-action").click()
    expect(investco.get_by_test_id("well-status")).to_have_attribute("data-status", Status.SEALED)

    # The bureau accepts it: every other unit's step is done.
    staff = sign_in_on_a_phone(open_page, "staff")
    staff.goto(f"/well/{WELL}/")
    staff.get_by_test_id("action-accept").click()
    staff.locator("[name=accepted_on]").fill("2023-06-15")
    staff.locator("[name=inspectors]").fill("水利局验收组")
    staff.get_by_test_id("submit-action").click()
    expect(staff.get_by_test_id("well-status")).to_have_attribute("data-status", Status.ACCEPTED)
    plan = staff.get_by_test_id("plan-step")
    expect(plan).to_have_count(5)
    for step in range(5):
        expect(plan.nth(step)).to_have_attribute("data-status", "done")
    screenshot(staff, "roles-2-accepted-work-plan", docs_name="work-plan")

    well = Well.objects.get(code=WELL)
    assert [event.actor.username for event in well.events.order_by("pk")] == ["staff", "grid", "investco", "staff"]
    assert str(well.supply_connected_on) == "2023-06-10"


def test_an_officer_edits_a_wells_facts_on_a_phone_and_the_history_shows_it(open_page, demo):
    page = sign_in_on_a_phone(open_page, "zhongshan")
    page.goto(f"/well/{WELL}/")
    page.get_by_test_id("edit-facts").click()
    form = page.get_by_test_id("facts-form")
    form.locator("[name=responsible_person]").fill("张专干")
    # A tap on the map moves the location to where it was tapped.
    before = form.locator("[name=lat]").input_value()
    page.get_by_test_id("map-picker").click(position={"x": 220, "y": 180})  # clear of the zoom buttons
    assert form.locator("[name=lat]").input_value() != before
    form.locator("[name=note]").fill("井房已拆除")
    screenshot(page, "roles-3-officer-facts")
    page.get_by_test_id("submit-facts").click()

    expect(page.get_by_test_id("facts")).to_contain_text("张专干")
    page.get_by_test_id("change-history").locator("summary").click()
    expect(page.get_by_test_id("change-history")).to_contain_text("张专干")
    record = WellChange.objects.get(well__code=WELL, kind=ChangeKind.FACTS)
    assert set(record.changes) == {"responsible_person", "lat", "lng", "note"}


def test_staff_cut_the_power_of_a_mixed_selection_and_see_what_was_skipped_and_why(open_page, demo):
    for code in ["CJ-ZSL-01", "CJ-ZSL-05"]:
        walk(code, datetime.date(2023, 6, 1), Action.NOTIFY, staff=demo["staff"], admin=demo["admin"])
    page = sign_in_on_a_phone(open_page, "staff")
    page.goto("/wells/?township=zhongshanlu")

    # "Those that can" ticks the one well whose power can be cut.
    page.get_by_test_id("select-able-disconnect").click()
    expect(page.locator("input[name=wells]:checked")).to_have_count(1)
    expect(page.locator('input[name=wells][value="CJ-ZSL-05"]')).to_be_checked()
    # Ticked by hand too: a well still waiting for its supply, one without a notice.
    page.locator('input[name=wells][value="CJ-ZSL-01"]').check()
    page.locator('input[name=wells][value="CJ-ZSL-06"]').check()
    page.get_by_test_id("bulk-disconnect").click()

    skipped = page.get_by_test_id("skipped-wells")
    expect(skipped.locator("li")).to_have_count(2)
    expect(skipped.locator('li[data-code="CJ-ZSL-01"]')).to_contain_text("等待市清源水务有限责任公司「接通替代水源」")
    page.locator("[name=disconnected_on]").fill("2023-06-10")
    page.get_by_test_id("submit-bulk").click()

    expect(page.get_by_test_id("done-wells")).to_contain_text("CJ-ZSL-05")
    expect(page.get_by_test_id("skipped-wells").locator("li")).to_have_count(2)
    screenshot(page, "roles-4-bulk-power-cut", docs_name="bulk-power-cut")
    statuses = dict(Well.objects.filter(code__in=["CJ-ZSL-01", "CJ-ZSL-05", "CJ-ZSL-06"]).values_list("code", "status"))
    assert statuses == {"CJ-ZSL-01": Status.NOTIFIED, "CJ-ZSL-05": Status.DISCONNECTED, "CJ-ZSL-06": Status.INVENTORIED}


def test_the_administrator_creates_an_officer_resets_a_password_and_unlocks_an_account(open_page, demo, settings):
    from axes.models import AccessAttempt

    AccessAttempt.objects.create(
        username="ningbian",
        ip_address="10.0.0.8",
        user_agent="phone",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    page = sign_in_on_a_phone(open_page, "admin")
    page.get_by_test_id("nav-users").click()
    page.get_by_test_id("user-new").click()
    form = page.get_by_test_id("user-form")
    form.locator("[name=username]").fill("zhang")
    form.locator("[name=display_name]").fill("张专干")
    form.get_by_label("乡镇（街道）专干").check()
    form.locator("[name=unit]").select_option(label="中山路街道办事处")
    page.get_by_test_id("submit-user").click()
    first = page.get_by_test_id("shown-password").inner_text()
    screenshot(page, "roles-5-user-created", docs_name="user-created")

    page.get_by_test_id("back-to-user").click()
    page.get_by_test_id("reset-password").click()
    second = page.get_by_test_id("shown-password").inner_text()
    assert first != second

    page.goto("/accounts/users/?q=ningbian")
    page.locator('[data-testid=user-row][data-username="ningbian"] a').click()
    page.get_by_test_id("unlock").click()
    expect(page.get_by_test_id("locked")).to_have_count(0)
    expect(page.get_by_test_id("account-history").locator("li[data-kind=unlock]")).to_have_count(1)

    officer = sign_in_on_a_phone(open_page, "zhang")
    assert officer.url.endswith("/accounts/login/")  # the first password no longer works
    officer.get_by_test_id("login-form").locator("input[name=username]").fill("zhang")
    officer.get_by_test_id("login-form").locator("input[name=password]").fill(second)
    officer.get_by_test_id("login-submit").click()
    expect(officer).to_have_url(re.compile(r"/wells/mine/$"))
