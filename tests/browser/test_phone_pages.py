"""Every page of every role, on a 390×844 phone: nothing wider than the
screen (no sideways scrolling), every badge and figure readable at WCAG AA
(a contrast of at least 4.5:1 between its text and what lies behind it),
and no English left on the Chinese pages."""

import datetime
import re

import pytest

from tasks.choices import Step
from tasks.models import Task
from tests.browser.conftest import PHONE, log_in, walk
from wells.choices import Action

pytestmark = pytest.mark.browser

OFFICER_WELL = "CJ-ZSL-01"  # domestic, notified below: the supply and the power cut wait on the page
STAFF_WELL = "CJ-NBL-06"  # sealed in the campaign under way

COMMON = [
    "/wells/",
    "/dashboard/",
    "/tasks/mine/",
    "/tasks/mine/?waiting=1",
    "/tasks/notifications/",
    "/accounts/password/",
    "/tickets/",
]
PAGES = {
    "admin": [
        *COMMON,
        "/tasks/overview/",
        "/wells/import/",
        f"/well/{STAFF_WELL}/",
        f"/well/{STAFF_WELL}/facts/",
        "/accounts/users/",
        "/accounts/users/new/",
        "/admin/",
        "/admin/accounts/user/add/",
        "/admin/wells/well/",
        "/admin/wells/wellevent/",
        "/admin/wells/inspection/add/",
        "/admin/meters/emergencyuse/add/",
        "/admin/meters/usecoefficient/",
    ],
    "staff": [
        *COMMON,
        "/tasks/overview/",
        f"/well/{STAFF_WELL}/",
        f"/well/{STAFF_WELL}/action/accept/",
        f"/well/{STAFF_WELL}/upload/",
        f"/well/{STAFF_WELL}/label/",
        "/tickets/new/",
        "/meters/import/",
        "/report/",
        f"/report/well/{STAFF_WELL}/",
    ],
    "zhongshan": [
        *COMMON,
        "/wells/mine/",
        f"/well/{OFFICER_WELL}/",
        f"/well/{OFFICER_WELL}/facts/",
        f"/well/{OFFICER_WELL}/inspection/",
        "/well/CJ-ZSL-05/action/notify/",
        "/patrols/",
        # What waits on the phone to be sent (offline.js renders it).
        "/queue/",
    ],
    "water": [*COMMON, f"/well/{OFFICER_WELL}/", "supply"],
    "grid": [*COMMON, f"/well/{OFFICER_WELL}/"],
    "investco": [*COMMON, f"/well/{OFFICER_WELL}/"],
    "leader": [*COMMON, f"/well/{STAFF_WELL}/"],
}

# The computed colours of an element's text and of the first ancestor (or
# itself) with a background, as the browser resolves them; their contrast
# ratio by WCAG 2's relative luminance.
CONTRAST_SCRIPT = """
(selector) => {
  function rgb(text) { return text.match(/[\\d.]+/g).map(Number); }
  function luminance(c) {
    const [r, g, b] = c.slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function background(element) {
    for (let node = element; node; node = node.parentElement) {
      const colour = rgb(getComputedStyle(node).backgroundColor);
      if (colour.length < 4 || colour[3] > 0) return colour;
    }
    return [255, 255, 255];
  }
  const shown = [...document.querySelectorAll(selector)].filter(e => e.offsetParent !== null && e.textContent.trim());
  return shown.map(e => {
    const a = luminance(rgb(getComputedStyle(e).color)), b = luminance(background(e));
    return {text: e.textContent.trim().slice(0, 30), ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
  });
}
"""
SHOWN = ".status, .badge, .countdown, .figures .value, .plan-state, .plan-wait, .reason, .message, .tabs a, .help"

# Latin words a Chinese page may show: codes, units and names, not English.
ALLOWED_LATIN = {"English", "Word", "Excel", "QR", "API", "JPEG", "PNG", "PDF", "ID", "GPS", "WGS"}
# File names' extensions (an attachment, the formats an import reads).
ALLOWED_LATIN |= {"docx", "xlsx", "xlsm", "xls", "ods", "csv", "png", "jpg", "jpeg", "pdf"}


@pytest.fixture
def work_under_way(campaign_under_way):
    users = campaign_under_way
    walk(OFFICER_WELL, datetime.date(2023, 10, 1), Action.NOTIFY, staff=users["staff"], admin=users["admin"])
    return users


def english_words(page):
    # Codes and user names (in .code and <code>) and addresses are not English.
    shown = page.evaluate(
        """() => {
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll(".code, code, script, style").forEach(e => e.remove());
        document.body.appendChild(copy);
        const text = copy.innerText;
        copy.remove();
        return text;
    }"""
    )
    text = re.sub(r"\S+://\S+", " ", shown)
    words = set()
    for word in "".join(ch if ch.isascii() and ch.isalpha() else " " for ch in text).split():
        if len(word) > 2 and word not in ALLOWED_LATIN and not word.isupper():
            words.add(word)
    return words


@pytest.mark.parametrize("username", list(PAGES))
def test_every_page_of_every_role_fits_a_phone_reads_at_aa_contrast_and_speaks_chinese(
    open_page, work_under_way, username
):
    page = open_page(**PHONE)
    log_in(page, username)
    problems, measured = [], 0
    for address in PAGES[username]:
        if address == "supply":
            task = Task.objects.get(well__code=OFFICER_WELL, step=Step.SUPPLY)
            address = f"/tasks/{task.pk}/supply/"
        response = page.goto(address)
        assert response.status == 200, (address, response.status)
        page.wait_for_load_state("networkidle")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            problems.append((address, "wider than the screen", width))
        shown_elements = page.evaluate(CONTRAST_SCRIPT, SHOWN)
        measured += len(shown_elements)
        for shown in shown_elements:
            if shown["ratio"] < 4.5:
                problems.append((address, "contrast", shown))
        english = english_words(page)
        if english:
            problems.append((address, "English", sorted(english)))
    assert problems == [], "\n".join(map(str, problems))
    assert measured > len(PAGES[username])  # badges, figures and countdowns were there to measure
