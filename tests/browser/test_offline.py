"""An officer in the field without signal (issue 16, DESIGN §7): the pages
kept on the phone, the queue (待上传 N) in IndexedDB, sent in order when the
connection returns; a refusal kept on its item to correct and send again.

Offline is Playwright's ``context.set_offline(True)`` on Debian's Chromium,
with the site's service worker allowed and controlling the page."""

import datetime
import io
import re

import pytest
from django.utils import timezone
from PIL import ExifTags, Image
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, log_in, screenshot
from wells.changes import change_facts
from wells.choices import Action, AttachmentKind, Status
from wells.models import Attachment, Well

pytestmark = pytest.mark.browser

WELL = "CJ-ZSL-05"  # unlicensed, irrigation only: notice, then the power cut


def phone_photo(size=(3000, 2250), position=(44.0123, 87.3012), taken="2023:06:20 10:15:00"):
    """A large JPEG as a phone writes it: EXIF GPS position and DateTimeOriginal."""
    image = Image.new("RGB", size, (90, 120, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    exif[ExifTags.Base.ExifOffset] = {ExifTags.Base.DateTimeOriginal: taken}

    def dms(value):
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4))

    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: dms(position[0]),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: dms(position[1]),
    }
    stream = io.BytesIO()
    image.save(stream, format="JPEG", exif=exif, quality=90)
    return stream.getvalue()


def open_offline_ready(open_page):
    """The officer signed in on a phone, 我的机井 open online, and the service
    worker done keeping their wells and forms."""
    page = open_page(**PHONE, service_workers="allow")
    log_in(page, "zhongshan")
    expect(page).to_have_url(re.compile(r"/wells/mine/$"))
    page.wait_for_function("() => document.body.dataset.offlineKeptCount > 0", timeout=30_000)
    expect(page.get_by_test_id("offline-kept")).to_be_visible()
    return page


def queue_count(page):
    return page.get_by_test_id("queue-count")


def submit_action(page, action, **fields):
    page.get_by_test_id(f"action-{action}").click()
    form = page.get_by_test_id("action-form")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    page.get_by_test_id("submit-action").click()


def test_an_officer_works_a_well_without_signal_and_the_queue_drains_when_it_returns(open_page, demo):
    page = open_offline_ready(open_page)
    context = page.context
    version = Well.objects.get(code=WELL).version

    context.set_offline(True)
    page.locator(f'[data-testid=well-card][data-code="{WELL}"] a').click()
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    # The worker answered from the copy and said so: the page counts as
    # without signal whatever navigator.onLine says.
    expect(page.locator("body")).to_have_attribute("data-offline-copy", "")
    expect(page.get_by_test_id("well-status")).to_have_attribute("data-status", Status.INVENTORIED)

    submit_action(page, "notify", notice_no="中山路关停〔2023〕7号", served_on="2023-06-10", comply_by="2023-07-10")
    expect(page.get_by_test_id("message").first).to_contain_text("已保存在本机")
    expect(queue_count(page)).to_have_text("1")
    # The notice waits to be sent; the next step is offered from the kept forms.
    expect(page.get_by_test_id("well-status")).to_have_attribute("data-status", Status.NOTIFIED)

    page.get_by_test_id("upload-evidence").click()
    page.locator("select[name=kind]").select_option(AttachmentKind.PHOTO)
    page.locator("input[name=file]").set_input_files(
        files=[{"name": "断电现场.jpg", "mimeType": "image/jpeg", "buffer": phone_photo()}]
    )
    page.wait_for_function("() => document.querySelector('input[name=exif_lat]').value !== ''")
    page.get_by_test_id("submit-upload").click()
    expect(queue_count(page)).to_have_text("2")

    # The power cut's date left empty: the day it was recorded.
    submit_action(page, "disconnect")
    expect(queue_count(page)).to_have_text("3")
    expect(page.get_by_test_id("queue-badge")).to_have_text(re.compile(r"待上传\s*3"))
    expect(page.get_by_test_id("queued-item")).to_have_count(3)
    screenshot(page, "offline-1-queued", docs_name="offline-queue")

    well = Well.objects.get(code=WELL)
    assert (well.status, well.version) == (Status.INVENTORIED, version)  # nothing reached the server

    context.set_offline(False)
    expect(page.get_by_test_id("queue-badge")).to_be_hidden(timeout=20_000)

    well = Well.objects.get(code=WELL)
    assert well.status == Status.DISCONNECTED
    events = list(well.events.order_by("pk"))
    assert [event.action for event in events] == [Action.NOTIFY, Action.DISCONNECT]
    assert {event.actor.username for event in events} == {"zhongshan"}
    assert events[0].data["served_on"] == "2023-06-10"
    assert events[0].data["notice_no"] == "中山路关停〔2023〕7号"
    assert events[1].data["disconnected_on"] == timezone.localdate().isoformat()
    assert all("离线记录于" in event.note for event in events)
    photo = Attachment.objects.get(well=well)
    assert (photo.kind, photo.content_type, photo.uploaded_by.username) == ("photo", "image/jpeg", "zhongshan")
    with photo.file.open("rb") as stored:
        picture = Image.open(stored)
        assert max(picture.size) == 2048  # shrunk on the phone
        assert not picture.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the canvas dropped the EXIF…
    # … which the phone read first and sent beside it.
    assert float(photo.exif_lat) == pytest.approx(44.0123, abs=1e-5)
    assert float(photo.exif_lng) == pytest.approx(87.3012, abs=1e-5)
    assert timezone.localtime(photo.exif_taken_at) == datetime.datetime(
        2023, 6, 20, 10, 15, tzinfo=timezone.get_default_timezone()
    )


def test_a_queued_notice_refused_as_stale_is_kept_corrected_and_sent_again(open_page, demo):
    page = open_offline_ready(open_page)
    context = page.context

    context.set_offline(True)
    page.locator(f'[data-testid=well-card][data-code="{WELL}"] a').click()
    submit_action(page, "notify", notice_no="中山路关停〔2023〕8号", served_on="2023-06-10", comply_by="2023-07-10")
    expect(queue_count(page)).to_have_text("1")

    # Meanwhile, in the office, staff change the well.
    well = Well.objects.get(code=WELL)
    change_facts(well, actor=demo["staff"], values={"responsible_person": "李四"}, version=well.version)
    # Without signal the phone shows its own copy, fetched before the change.
    page.reload()
    expect(page.get_by_test_id("offline-banner")).to_be_visible()
    expect(page.get_by_test_id("facts")).not_to_contain_text("李四")

    # The queue's page is kept too.
    page.get_by_test_id("queue-badge").click()
    expect(page.get_by_test_id("queue-item")).to_have_attribute("data-state", "waiting")
    context.set_offline(False)
    item = page.get_by_test_id("queue-item")
    expect(item).to_have_attribute("data-state", "refused", timeout=20_000)
    expect(item.get_by_test_id("queue-reason")).to_contain_text("已被他人修改")
    editor = item.get_by_test_id("queue-editor")
    expect(editor.locator("[name=notice_no]")).to_have_value("中山路关停〔2023〕8号")
    expect(editor.locator("[name=served_on]")).to_have_value("2023-06-10")
    screenshot(page, "offline-2-refused", docs_name="offline-refused")
    assert Well.objects.get(code=WELL).status == Status.INVENTORIED

    editor.locator("[name=served_on]").fill("2023-06-11")
    editor.get_by_test_id("queue-resend").click()
    expect(page.get_by_test_id("queue-empty")).to_be_visible(timeout=20_000)

    well = Well.objects.get(code=WELL)
    assert well.status == Status.NOTIFIED
    event = well.events.get()
    assert (event.actor.username, event.data["served_on"]) == ("zhongshan", "2023-06-11")
    assert well.responsible_person == "李四"  # staff's change stands


def test_chromium_finds_the_app_installable_with_its_worker_controlling_the_whole_site(open_page, demo):
    page = open_offline_ready(open_page)

    scope = page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.scope)")
    assert scope == page.url.split("/wells/")[0] + "/"
    assert page.evaluate("() => navigator.serviceWorker.controller.scriptURL").endswith("/sw.js")
    session = page.context.new_cdp_session(page)
    manifest = session.send("Page.getAppManifest")
    assert manifest["url"].endswith("/manifest.webmanifest") and not manifest["errors"]
    errors = [error["errorId"] for error in session.send("Page.getInstallabilityErrors")["installabilityErrors"]]
    # A Playwright context is a private window, where Chromium installs
    # nothing; every other check (manifest, icons, worker, scope) passes.
    assert errors == ["in-incognito"]


def test_a_change_whose_answer_was_lost_is_applied_once_when_the_queue_sends_it_again(open_page, demo):
    page = open_offline_ready(open_page)
    context = page.context
    context.set_offline(True)
    page.locator(f'[data-testid=well-card][data-code="{WELL}"] a').click()
    submit_action(page, "notify", notice_no="中山路关停〔2023〕9号", served_on="2023-06-10", comply_by="2023-07-10")
    expect(queue_count(page)).to_have_text("1")

    # The connection returns, the server applies the notice, and its answer
    # is lost on the way back: the item stays queued.
    lost = []

    def lose_the_answer(route):
        route.fetch()  # reaches the server, which applies it
        lost.append(route.request.headers.get("idempotency-key"))
        route.abort("connectionreset")

    page.route("**/api/v1/wells/*/transitions/", lose_the_answer)
    context.set_offline(False)
    for _attempt in range(100):
        if lost:
            break
        page.wait_for_timeout(100)
    assert len(lost) == 1
    expect(queue_count(page)).to_have_text("1")
    assert Well.objects.get(code=WELL).events.count() == 1

    page.unroute("**/api/v1/wells/*/transitions/")
    page.goto("/queue/")
    page.get_by_test_id("queue-send").click()
    expect(page.get_by_test_id("queue-empty")).to_be_visible(timeout=20_000)

    well = Well.objects.get(code=WELL)
    assert well.events.count() == 1  # the resend was answered from the key, not applied again
    assert (well.status, well.version) == (Status.NOTIFIED, 2)


def test_an_inspection_and_a_facts_change_recorded_offline_reach_the_ledger_in_order(open_page, demo):
    page = open_offline_ready(open_page)
    context = page.context
    code = "CJ-ZSL-06"  # another of 中山路's wells
    context.set_offline(True)
    page.locator(f'[data-testid=well-card][data-code="{code}"] a').click()

    page.get_by_test_id("record-inspection").click()
    form = page.get_by_test_id("inspection-form")
    form.locator("[name=inspected_on]").fill("2023-06-12")
    form.locator("[name=result]").select_option("intact")
    form.locator("[name=note]").fill("封口完好")
    page.get_by_test_id("submit-inspection").click()
    expect(queue_count(page)).to_have_text("1")

    page.get_by_test_id("edit-facts").click()
    page.get_by_test_id("facts-form").locator("[name=responsible_person]").fill("赵六")
    page.get_by_test_id("submit-facts").click()
    expect(queue_count(page)).to_have_text("2")

    context.set_offline(False)
    expect(page.get_by_test_id("queue-badge")).to_be_hidden(timeout=20_000)

    well = Well.objects.get(code=code)
    inspection = well.inspections.get()
    assert (inspection.inspected_on, inspection.result, inspection.inspector.username) == (
        datetime.date(2023, 6, 12),
        "intact",
        "zhongshan",
    )
    assert inspection.note.startswith("封口完好") and "离线记录于" in inspection.note
    assert well.responsible_person == "赵六"
    kinds = list(well.changelog.order_by("pk").values_list("kind", flat=True))
    assert kinds[-2:] == ["inspection", "facts"]
