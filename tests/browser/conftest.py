"""Browser tests: Python Playwright driving Debian's headless Chromium
against pytest-django's live server, on the Changji demo data walked part
of the way through its campaign.

Browsers cannot be downloaded here, so Chromium is launched by its path.
Screenshots go to ``artifacts/screenshots/`` (kept by CI as the test
artefact); with ``UPDATE_DOCS_SCREENSHOTS=1`` the README's screenshots in
``docs/screenshots/`` are refreshed too (a plain test run leaves committed
files alone)."""

import datetime
import os
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import User
from wells.choices import Action, AttachmentKind
from wells.models import Well
from wells.uploads import store_attachment
from wells.workflow import perform

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "demo-pass-2022"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1366, "height": 900}}


@pytest.fixture(scope="package", autouse=True)
def allow_orm_beside_playwright():
    """Playwright's sync API keeps an event loop in the main thread, where
    the tests also set up their data through the ORM: Django's async-safety
    check would refuse that, so it is off while the browser tests run."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(allow_orm_beside_playwright):
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"No Chromium at {CHROMIUM}: install Debian's chromium package (.ci/run does).")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser, live_server):
    """``open_page(**context_options)``: a page in a fresh browser context
    (Chinese, as a bureau's browser is) that fails the test on any script
    error."""
    contexts, errors = [], []

    def open_(**options):
        context = browser.new_context(base_url=live_server.url, locale="zh-CN", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        return page

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"Script errors in the page: {errors}"


def log_in(page, username):
    page.goto("/")
    page.get_by_test_id("login-form").locator("input[name=username]").fill(username)
    page.get_by_test_id("login-form").locator("input[name=password]").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_load_state()


def screenshot(page, name, *, docs_name=None):
    """Save a full-page screenshot as a test artefact (and, when asked, as
    the README's)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs_name and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1":
        DOCS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS / f"{docs_name}.png")
    return path


def png_bytes(rgb=(90, 110, 90), size=24):
    """A real PNG of one colour, built by hand (no imaging library)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes(rgb) * size for _ in range(size))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def demo(transactional_db, live_server):
    """The Changji 2022 demo campaign, its tasks and its users."""
    call_command("load_demo", verbosity=0)
    return {user.username: user for user in User.objects.all()}


def walk(code, served, last, *, staff, admin):
    """Take the demo well ``code`` through its lifecycle up to the action
    ``last``, dated from the day its notice was ``served``."""
    well = Well.objects.get(code=code)

    def act(action, actor, **data):
        nonlocal well
        well = perform(well, action, actor=actor, data=data, version=well.version)

    act(
        Action.NOTIFY,
        staff,
        notice_no=f"昌水关停〔{served.year}〕{well.pk}号",
        served_on=served,
        comply_by=served + datetime.timedelta(days=30),
    )
    if last == Action.NOTIFY:
        return
    if well.license_no:
        act(Action.REVOKE_LICENSE, staff, revocation_no=f"昌水许注〔{served.year}〕{well.pk}号", revoked_on=served)
    act(Action.DISCONNECT, staff, disconnected_on=served + datetime.timedelta(days=20))
    if last == Action.DISCONNECT:
        return
    upload = SimpleUploadedFile("封井.png", png_bytes(), content_type="image/png")
    picture = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=upload, uploaded_by=staff)
    act(
        Action.SEAL,
        staff,
        sealed_on=served + datetime.timedelta(days=35),
        method="黏土、砂石分层回填，混凝土封口",
        attachments=[picture.pk],
    )
    if last == Action.SEAL:
        return
    act(Action.ACCEPT, admin, accepted_on=served + datetime.timedelta(days=50), inspectors="水利局验收组")


# Where the demo campaign stands in the browser tests: accepted wells spread
# over the campaign, some sealed, one disconnected, a few notified.
CAMPAIGN_PROGRESS = [
    ("CJ-NBL-01", datetime.date(2022, 4, 20), Action.ACCEPT),
    ("CJ-NBL-02", datetime.date(2022, 5, 25), Action.ACCEPT),
    ("CJ-MEG-03", datetime.date(2022, 7, 1), Action.ACCEPT),
    ("CJ-NBL-03", datetime.date(2022, 9, 5), Action.ACCEPT),
    ("CJ-ZSL-06", datetime.date(2023, 3, 10), Action.ACCEPT),
    ("CJ-NBL-04", datetime.date(2023, 4, 18), Action.ACCEPT),
    ("CJ-ZSL-07", datetime.date(2023, 6, 2), Action.ACCEPT),
    ("CJ-NBL-05", datetime.date(2023, 8, 15), Action.ACCEPT),
    ("CJ-NBL-06", datetime.date(2023, 9, 1), Action.SEAL),
    ("CJ-NBL-07", datetime.date(2023, 9, 20), Action.SEAL),
    ("CJ-ZSL-08", datetime.date(2023, 10, 1), Action.DISCONNECT),
    ("CJ-NBL-08", datetime.date(2023, 10, 8), Action.NOTIFY),
    ("CJ-SW-01", datetime.date(2023, 10, 12), Action.DISCONNECT),
    ("CJ-ZSL-09", datetime.date(2023, 10, 20), Action.NOTIFY),
]


@pytest.fixture
def campaign_under_way(demo):
    for code, served, last in CAMPAIGN_PROGRESS:
        walk(code, served, last, staff=demo["staff"], admin=demo["admin"])
    return demo
