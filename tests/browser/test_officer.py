"""A township officer in the field, on a phone: serves a notice, cuts the
power, is refused a seal without a photo, then seals with one."""

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, log_in, png_bytes, screenshot
from wells.choices import Action, AttachmentKind, InspectionResult, Status
from wells.models import Attachment, Well

pytestmark = pytest.mark.browser

WELL = "CJ-ZSL-05"  # unlicensed, irrigation only: no licence to revoke, no supply to connect first


def submit_action(page, action, **fields):
    page.get_by_test_id(f"action-{action}").click()
    form = page.get_by_test_id("action-form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    page.get_by_test_id("submit-action").click()


def test_officer_on_a_phone_serves_a_notice_is_refused_a_seal_without_a_photo_then_seals(open_page, demo):
    page = open_page(**PHONE)
    log_in(page, "zhongshan")

    expect(page).to_have_url(re.compile(r"/wells/mine/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.get_by_test_id("well-card")).to_have_count(9)  # 中山路's nine wells, no other township's
    screenshot(page, "officer-1-my-wells")

    page.locator(f'[data-testid=well-card][data-code="{WELL}"] a').click()
    status = page.get_by_test_id("well-status")
    expect(status).to_have_attribute("data-status", Status.INVENTORIED)

    submit_action(page, "notify", notice_no="中山路关停〔2023〕5号", served_on="2023-05-10", comply_by="2023-06-10")
    expect(status).to_have_attribute("data-status", Status.NOTIFIED)
    expect(page.get_by_test_id("message").first).to_be_visible()

    submit_action(page, "disconnect", disconnected_on="2023-06-20")
    expect(status).to_have_attribute("data-status", Status.DISCONNECTED)

    page.get_by_test_id("action-seal").click()
    photos = page.locator("input[name=photos]")
    expect(photos).to_have_attribute("accept", "image/*")
    # The camera or the gallery: no capture attribute forcing the camera.
    assert photos.get_attribute("capture") is None
    expect(page.locator("input[name=sealed_on]")).to_have_attribute("type", "date")
    page.locator("[name=sealed_on]").fill("2023-07-01")
    page.locator("[name=method]").fill("黏土、砂石回填，混凝土封口")
    page.get_by_test_id("submit-action").click()

    expect(page.get_by_test_id("refusal")).to_be_visible()
    expect(page.locator("[data-field=photos] .field-errors")).to_be_visible()
    expect(page.locator("[name=method]")).to_have_value("黏土、砂石回填，混凝土封口")
    expect(page.locator("[name=sealed_on]")).to_have_value("2023-07-01")
    screenshot(page, "officer-2-seal-refused")
    assert Well.objects.get(code=WELL).status == Status.DISCONNECTED
    assert not Attachment.objects.filter(well__code=WELL).exists()

    photos.set_input_files(files=[{"name": "封井照片.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.get_by_test_id("submit-action").click()

    expect(status).to_have_attribute("data-status", Status.SEALED)
    thumbnail = page.locator("[data-testid=attachment] img")
    expect(thumbnail).to_have_count(1)
    # The photo is served to the officer through the scope-checked download.
    # Loaded lazily: the officer scrolls to it (the meter chart stands above).
    thumbnail.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=thumbnail.element_handle())
    expect(page.locator("[data-testid=timeline-event]")).to_have_count(3)
    screenshot(page, "officer-3-well-sealed", docs_name="officer-well-page")

    well = Well.objects.get(code=WELL)
    assert [event.action for event in well.events.order_by("pk")] == [Action.NOTIFY, Action.DISCONNECT, Action.SEAL]
    photo = Attachment.objects.get(well=well)
    assert (photo.kind, photo.event.action, photo.uploaded_by.username) == (
        AttachmentKind.PHOTO,
        Action.SEAL,
        "zhongshan",
    )


def test_officer_records_a_follow_up_inspection_that_finds_a_closed_well_in_use(open_page, campaign_under_way):
    closed = "CJ-ZSL-06"  # accepted in the campaign so far
    page = open_page(**PHONE)
    log_in(page, "zhongshan")
    page.goto(f"/well/{closed}/")
    expect(page.get_by_test_id("well-status")).to_have_attribute("data-status", Status.ACCEPTED)

    page.get_by_test_id("record-inspection").click()
    form = page.get_by_test_id("inspection-form")
    expect(form.locator("input[name=photos]")).to_have_attribute("accept", "image/*")
    assert form.locator("input[name=photos]").get_attribute("capture") is None
    form.locator("[name=inspected_on]").fill("2024-03-01")
    form.locator("[name=result]").select_option(InspectionResult.IN_USE)
    form.locator("[name=note]").fill("回头看发现井口被私自打开，水泵已复装")
    form.locator("input[name=photos]").set_input_files(
        files=[{"name": "回头看.png", "mimeType": "image/png", "buffer": png_bytes(rgb=(150, 90, 60))}]
    )
    page.get_by_test_id("submit-inspection").click()
    # A well found in use starts a new round of closure: it needs its new
    # deadline, and the refusal says so beside the field, keeping the rest.
    form = page.get_by_test_id("inspection-form")
    expect(form.locator("[data-field=deadline] .field-errors")).to_be_visible()
    expect(form.locator("[name=note]")).to_have_value("回头看发现井口被私自打开，水泵已复装")
    new_deadline = timezone.localdate() + datetime.timedelta(days=90)
    form.locator("[name=deadline]").fill(new_deadline.isoformat())
    form.locator("input[name=photos]").set_input_files(
        files=[{"name": "回头看.png", "mimeType": "image/png", "buffer": png_bytes(rgb=(150, 90, 60))}]
    )
    page.get_by_test_id("submit-inspection").click()

    expect(page.get_by_test_id("well-status")).to_have_attribute("data-status", Status.REACTIVATED)
    inspection = page.get_by_test_id("timeline-inspection")
    expect(inspection).to_contain_text("回头看发现井口被私自打开")
    expect(inspection.locator("[data-testid=attachment] img")).to_have_count(1)
    screenshot(page, "officer-4-inspection-reopens-well")
    well = Well.objects.get(code=closed)
    assert well.events.order_by("pk").last().action == Action.REACTIVATE
    assert well.inspections.get().attachments.count() == 1
    assert well.deadline == new_deadline
