"""The field pages as an installable web app (issue 16, DESIGN §7): the
manifest and the service worker as the site serves them, and which pages a
phone may keep (a township officer's own, never an API answer or another
role's page). The browser's own installability check is in
tests/browser/test_offline.py."""

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from tests.tokens import token_for
from wellclosure import offline
from wells.choices import Status

MANIFEST = "/manifest.webmanifest"
WORKER = "/sw.js"


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def static_path(url):
    """The file behind a static URL the manifest names."""
    return finders.find(url.removeprefix("/static/"))


def test_the_manifest_names_the_app_in_chinese_with_icons_a_start_and_the_whole_site_as_scope(client, db):
    response = client.get(MANIFEST)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["short_name"]) == ("机井关停台账", "机井台账")
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == ("/", "/", "standalone")
    sizes = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        with Image.open(static_path(icon["src"])) as image:
            assert (image.format, f"{image.width}x{image.height}") == ("PNG", icon["sizes"])


def test_the_service_worker_is_javascript_at_the_root_never_cached_stale(client, db):
    response = client.get(WORKER)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert "no-store" in response["Cache-Control"]
    script = response.content.decode()
    for event in ("install", "activate", "fetch"):
        assert f'addEventListener("{event}"' in script
    # Every file it stores on installing is one the site serves.
    precached = json.loads(re.search(r"var PRECACHE = (\[.*?\]);", script).group(1))
    assert precached and all(static_path(url) for url in precached)


def test_the_workers_cache_is_named_by_the_files_it_keeps(client, db, tmp_path, monkeypatch):
    before = re.search(r'var VERSION = "(\w+)"', client.get(WORKER).content.decode()).group(1)
    changed = tmp_path / "site.css"
    changed.write_text("body { color: red; }")
    find = finders.find
    monkeypatch.setattr(offline.finders, "find", lambda name: str(changed) if name == "wells/site.css" else find(name))

    after = re.search(r'var VERSION = "(\w+)"', client.get(WORKER).content.decode()).group(1)

    assert before != after


def test_every_page_links_the_manifest(signed_in, officer):
    page = signed_in(officer).get(reverse("wells:mine")).content.decode()

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page


def test_the_officers_own_pages_are_marked_to_keep_with_whose_they_are(signed_in, officer, well):
    client = signed_in(officer)
    for path in (
        reverse("wells:mine"),
        reverse("wells:well", args=[well.code]),
        reverse("wells:action", args=[well.code, "notify"]),
        reverse("wells:inspection", args=[well.code]),
        reverse("wells:upload", args=[well.code]),
        reverse("wells:facts", args=[well.code]),
        reverse("offline-queue"),
    ):
        response = client.get(path)
        assert (path, response.status_code, response.get(offline.KEEP_HEADER)) == (path, 200, str(officer.pk))


@pytest.mark.parametrize("role", ["staff", "leader", "admin_user"])
def test_no_other_roles_page_is_kept(request, signed_in, well, role):
    user = request.getfixturevalue(role)
    response = signed_in(user).get(reverse("wells:well", args=[well.code]))

    assert response.status_code == 200
    assert offline.KEEP_HEADER not in response


def test_no_api_answer_is_kept(client, officer, well):
    response = client.get(
        reverse("api:well-detail", kwargs={"code": well.code}), HTTP_AUTHORIZATION=f"Token {token_for(officer)}"
    )

    assert response.status_code == 200
    assert offline.KEEP_HEADER not in response


def test_another_townships_well_is_neither_shown_nor_kept(signed_in, officer, other_well):
    response = signed_in(officer).get(reverse("wells:well", args=[other_well.code]))

    assert response.status_code == 404
    assert offline.KEEP_HEADER not in response


def test_a_wells_page_names_the_forms_to_keep_with_the_steps_reachable_offline(signed_in, officer, well):
    page = signed_in(officer).get(reverse("wells:well", args=[well.code])).content.decode()

    pages = json.loads(re.search(r'<script id="offline-pages" type="application/json">(.*?)</script>', page).group(1))
    data = json.loads(re.search(r'<script id="offline-well" type="application/json">(.*?)</script>', page).group(1))
    code = well.code
    assert pages == [
        f"/well/{code}/action/notify/?offline=1",
        f"/well/{code}/action/disconnect/?offline=1",
        f"/well/{code}/action/seal/?offline=1",
        f"/well/{code}/inspection/",
        f"/well/{code}/upload/",
        f"/well/{code}/facts/",
    ]
    assert (data["status"], data["version"]) == (Status.INVENTORIED, well.version)
    assert data["actions"]["disconnect"]["from"] == sorted([Status.NOTIFIED, Status.LICENSE_REVOKED])
    assert data["actions"]["notify"]["to"] == Status.NOTIFIED


def test_the_form_of_a_later_step_is_served_for_keeping_but_only_so(signed_in, officer, well):
    client = signed_in(officer)
    path = reverse("wells:action", args=[well.code, "disconnect"])

    assert client.get(path).status_code == 302  # not possible now: sent back to the well
    kept = client.get(path + "?offline=1")
    assert kept.status_code == 200
    assert 'data-offline-form="transition"' in kept.content.decode()
    # Sent with signal, the door still decides.
    refused = client.post(path, {"version": well.version, "disconnected_on": "2023-06-01"})
    assert refused.status_code == 400


def test_signing_out_clears_the_phones_copy(signed_in, officer):
    response = signed_in(officer).post(reverse("accounts:logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"cache", "storage"'


def test_the_content_security_policy_lets_only_this_site_be_worker_and_manifest(client, db):
    policy = client.get(MANIFEST)["Content-Security-Policy"]

    assert "worker-src 'self'" in policy
    assert "manifest-src 'self'" in policy
    assert "script-src 'self';" in policy + ";"  # still no inline script
