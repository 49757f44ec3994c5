"""Supervision after closure in the browser (issue 17's acceptance).

1. A township officer on a phone walks a patrol from CJ-ZSL-06 to
   CJ-ZSL-07 (both accepted, 1.5 km apart) with a simulated moving position
   (Playwright's set_geolocation, the page's clock run forward 18 minutes),
   marks the first intact and the second in use: the second is reactivated,
   a ticket opened, and the patrol counts toward 中山路's monthly duty.
2. A public report from a well's QR page becomes a ticket; the bureau's
   staff assign it; the township rectifies with a photo; the review refuses
   it once and another person passes it; the tracking page shows each state
   and nothing about the reporter."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from supervision.choices import TicketSource
from supervision.models import Patrol, Ticket
from tests.browser.conftest import DESKTOP, PHONE, log_in, png_bytes, screenshot
from wells.choices import Action, Status
from wells.models import Well

pytestmark = pytest.mark.browser

START, END = (44.02276, 87.27018), (44.03642, 87.27093)  # CJ-ZSL-06 and CJ-ZSL-07
STEPS = 12


def test_an_officer_patrols_on_a_phone_and_finds_a_closed_well_in_use(open_page, campaign_under_way):
    page = open_page(**PHONE, permissions=["geolocation"], geolocation={"latitude": START[0], "longitude": START[1]})
    # The phone's clock, run by the test: the patrol starts 25 minutes ago.
    page.clock.install(time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=25))
    log_in(page, "zhongshan")
    page.get_by_test_id("nav-patrols").click()
    expect(page.get_by_test_id("compliance-row").filter(has_text="中山路街道办事处")).to_have_attribute(
        "data-done", "0"
    )
    page.get_by_test_id("start-patrol").click()
    expect(page.get_by_test_id("patrol-recorder")).to_be_visible()

    status = page.get_by_test_id("gps-status")
    for step in range(STEPS + 1):
        lat = START[0] + (END[0] - START[0]) * step / STEPS
        lng = START[1] + (END[1] - START[1]) * step / STEPS
        page.context.set_geolocation({"latitude": lat, "longitude": lng})
        page.clock.fast_forward(90_000)  # a minute and a half on foot
        expect(status).to_have_text(f"{lat:.6f}, {lng:.6f}")
    expect(page.get_by_test_id("patrol-length")).to_have_text(re.compile(r"^1\.5\d$"))
    queue = page.get_by_test_id("queue")
    for _ in range(10):  # the batches go every ten seconds of the phone's clock
        if not queue.inner_text():
            break
        page.clock.fast_forward(10_000)
        page.wait_for_timeout(300)
    expect(queue).to_have_text("")
    screenshot(page, "patrol-1-recording")

    page.get_by_test_id("finish-patrol").click()
    expect(page.get_by_test_id("patrol-state")).to_have_attribute("data-state", "finished")
    expect(page.get_by_test_id("patrol-counts")).to_have_attribute("data-counts", "true")
    passed = page.get_by_test_id("passed-well")
    expect(passed).to_have_count(2)

    for code, result in (("CJ-ZSL-06", "intact"), ("CJ-ZSL-07", "in_use")):
        row = page.locator(f'[data-testid=passed-well][data-code="{code}"]')
        row.locator(f"input[name=result][value={result}]").check()
        row.get_by_test_id("submit-finding").click()
        expect(page.locator(f'[data-testid=passed-well][data-code="{code}"]')).to_have_attribute("data-result", result)
    screenshot(page, "patrol-2-finished", docs_name="patrol-page")

    patrol = Patrol.objects.get()
    assert patrol.counts and patrol.length_m > 1500 and patrol.duration_s >= 15 * 60
    reused = Well.objects.get(code="CJ-ZSL-07")
    assert reused.status == Status.REACTIVATED
    assert reused.events.order_by("pk").last().action == Action.REACTIVATE
    assert Well.objects.get(code="CJ-ZSL-06").status == Status.ACCEPTED
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.well, ticket.patrol) == (TicketSource.PATROL, reused, patrol)

    page.get_by_test_id("nav-patrols").click()
    expect(page.get_by_test_id("compliance-row").filter(has_text="中山路街道办事处")).to_have_attribute(
        "data-done", "1"
    )


def tracking_state(page, tracking):
    page.goto(f"/report/{tracking}/")
    return page.get_by_test_id("tracking-state")


def act(page, ticket_id, action, fill=None):
    page.goto(f"/tickets/{ticket_id}/")
    form = page.get_by_test_id(f"ticket-action-{action}")
    if fill:
        fill(form)
    form.get_by_test_id(f"submit-{action}").click()


def test_a_public_report_from_a_wells_qr_page_is_followed_until_it_is_closed(open_page, campaign_under_way):
    public = open_page(**PHONE)
    public.goto("/report/well/CJ-ZSL-06/")
    expect(public.get_by_test_id("public-well-code")).to_have_text("CJ-ZSL-06")
    expect(public.get_by_test_id("public-well-state")).to_have_text("已关停")
    public.get_by_test_id("report-button").click()
    expect(public.get_by_test_id("report-well")).to_contain_text("CJ-ZSL-06")
    public.locator("[name=description]").fill("封了的井晚上又有水泵声")
    public.locator("[name=photos]").set_input_files(
        files=[{"name": "现场.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    public.locator("[name=phone]").fill("13912345678")
    public.get_by_test_id("submit-report").click()
    expect(public).to_have_url(re.compile(r"/report/JB[A-Z0-9]{10}/$"))
    tracking = public.get_by_test_id("tracking-number").inner_text()
    expect(public.get_by_test_id("tracking-state")).to_have_attribute("data-state", "reported")
    ticket = Ticket.objects.get(tracking=tracking)
    assert (ticket.source, ticket.well.code) == (TicketSource.PUBLIC, "CJ-ZSL-06")

    staff = open_page(**DESKTOP)
    log_in(staff, "staff")
    staff.get_by_test_id("nav-tickets").click()
    expect(staff.get_by_test_id("ticket-row")).to_have_count(1)
    due = (datetime.date.today() + datetime.timedelta(days=10)).isoformat()

    def assign(form):
        form.locator("[name=unit]").select_option(label="中山路街道办事处")
        form.locator("[name=due_on]").fill(due)

    act(staff, ticket.pk, "assign", assign)
    expect(staff.get_by_test_id("ticket-state")).to_have_attribute("data-state", "assigned")
    expect(tracking_state(public, tracking)).to_have_attribute("data-state", "assigned")

    officer = open_page(**PHONE)
    log_in(officer, "zhongshan")

    def rectify(note):
        def fill(form):
            form.locator("[name=note]").fill(note)
            form.locator("[name=photos]").set_input_files(
                files=[{"name": "整改.png", "mimeType": "image/png", "buffer": png_bytes((120, 120, 120))}]
            )

        return fill

    act(officer, ticket.pk, "rectify", rectify("已拆除水泵，井口重新封堵"))
    expect(officer.get_by_test_id("ticket-state")).to_have_attribute("data-state", "rectified")
    expect(officer.get_by_test_id("ticket-action-review_pass")).to_have_count(0)  # not the rectifier's to review
    expect(tracking_state(public, tracking)).to_have_attribute("data-state", "rectified")

    act(staff, ticket.pk, "review_fail", lambda form: form.locator("[name=reason]").fill("照片未见井口封堵"))
    expect(staff.get_by_test_id("ticket-state")).to_have_attribute("data-state", "assigned")
    expect(tracking_state(public, tracking)).to_have_attribute("data-state", "assigned")

    act(officer, ticket.pk, "rectify", rectify("补拍井口封堵照片"))
    expect(officer.get_by_test_id("ticket-state")).to_have_attribute("data-state", "rectified")

    admin = open_page(**DESKTOP)
    log_in(admin, "admin")
    act(
        admin,
        ticket.pk,
        "review_pass",
        lambda form: form.locator("[name=reply]").fill("经核查已整改到位，感谢您的监督。"),
    )
    expect(admin.get_by_test_id("ticket-state")).to_have_attribute("data-state", "closed")
    expect(admin.get_by_test_id("ticket-event")).to_have_count(
        6
    )  # opened, assigned, rectified, refused, rectified, closed

    state = tracking_state(public, tracking)
    expect(state).to_have_attribute("data-state", "closed")
    expect(public.get_by_test_id("tracking-reply")).to_have_text("经核查已整改到位，感谢您的监督。")
    expect(public.locator("[data-testid=tracking-states] li")).to_have_count(6)
    text = public.locator("main").inner_text()
    for private in ("13912345678", "照片未见井口封堵", "补拍井口封堵照片", "封了的井晚上又有水泵声", "中山路"):
        assert private not in text
    screenshot(public, "report-tracking")

    staff.get_by_test_id("nav-tickets").click()
    screenshot(staff, "problem-ledger", docs_name="problem-ledger")
