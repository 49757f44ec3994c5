"""Hostile input is answered, never a server error, and changes nothing it
should not: uploads that lie about their type, files over the limit, NUL
characters and 10,000-character strings in every filter and every field of
the API and the pages, and attachment names that try to climb out of the
store or into the response headers.

(The schema-driven fuzzing of every API operation as two roles is
tests/api/test_schema_fuzz.py; this file aims the known-bad values at every
parameter by name.)"""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tasks.choices import Step
from tasks.filtersets import TaskFilterSet
from tasks.models import MonitoringWell, Task
from tests.api.helpers import png_bytes
from tests.tokens import token_for
from wells.api.serializers import TransitionSerializer, WellSerializer, WellUpdateSerializer
from wells.choices import Action, AttachmentKind
from wells.filtersets import InspectionFilterSet, WellFilterSet
from wells.forms import ACTION_FIELDS
from wells.models import Attachment, Inspection

pytestmark = pytest.mark.usefixtures("clock")

NUL = "abc\x00def"
LONG = "井" * 10_000
HOSTILE = {"nul": NUL, "long": LONG}


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return client_for


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def ledger(well, other_well, grid_unit, staff, zhongshan):
    Task.objects.create(well=well, unit=grid_unit, step=Step.DISCONNECT, due_on=datetime.date(2023, 7, 1))
    Inspection.objects.create(
        well=well, inspected_on=datetime.date(2023, 6, 1), inspector=staff, inspector_name="巡查员", result="intact"
    )
    MonitoringWell.objects.create(code="JC-1", name="监测井", township=zhongshan)
    return well


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def no_server_error(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"
    return response.status_code


# Uploads -------------------------------------------------------------------------------

LIARS = {
    "an HTML page named .jpg": ("photo.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg"),
    "a Windows program named .png": ("photo.png", b"MZ\x90\x00\x03" + b"\x00" * 200, "image/png"),
    "a script named .pdf": ("notice.pdf", b"#!/bin/sh\nrm -rf /\n", "application/pdf"),
    "an SVG with a script": (
        "photo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "image/svg+xml",
    ),
    "a ZIP named .jpeg": ("photo.jpeg", b"PK\x03\x04" + b"\x00" * 100, "image/jpeg"),
    "an empty file": ("photo.png", b"", "image/png"),
}


@pytest.mark.parametrize("liar", sorted(LIARS))
def test_an_upload_that_lies_about_its_type_is_refused_and_nothing_is_stored(
    api, staff, well, attachments_in_tmp, liar
):
    name, content, content_type = LIARS[liar]

    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": SimpleUploadedFile(name, content, content_type=content_type)},
        format="multipart",
    )

    assert response.status_code == 400
    assert "file" in response.json()
    assert not Attachment.objects.exists()
    assert stored_files(attachments_in_tmp) == []


@pytest.mark.parametrize("liar", sorted(LIARS))
def test_the_upload_page_refuses_a_lying_file_too(client, officer, well, attachments_in_tmp, liar):
    name, content, content_type = LIARS[liar]
    client.force_login(officer)

    response = client.post(
        reverse("wells:upload", args=[well.code]),
        {"kind": "photo", "file": SimpleUploadedFile(name, content, content_type=content_type)},
    )

    assert response.status_code == 400
    assert not Attachment.objects.exists()
    assert stored_files(attachments_in_tmp) == []


def test_a_real_image_under_a_false_name_is_stored_as_what_it_is(api, staff, well):
    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "other", "file": SimpleUploadedFile("report.pdf", png_bytes(), content_type="application/pdf")},
        format="multipart",
    )

    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"
    assert Attachment.objects.get().file.name.endswith(".png")


def test_an_oversize_upload_is_refused_before_it_is_stored(api, staff, well, attachments_in_tmp, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = png_bytes() + b"\x00" * 2048

    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": SimpleUploadedFile("big.png", big, content_type="image/png")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "limit" in response.json()["file"][0]
    assert stored_files(attachments_in_tmp) == []


def test_an_oversize_upload_on_the_page_is_refused(client, officer, well, attachments_in_tmp, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    client.force_login(officer)

    response = client.post(
        reverse("wells:upload", args=[well.code]),
        {"kind": "photo", "file": SimpleUploadedFile("big.png", png_bytes() + b"\x00" * 2048)},
    )

    assert response.status_code == 400
    assert stored_files(attachments_in_tmp) == []


# Names -----------------------------------------------------------------------------------

TRAVERSALS = [
    "../../etc/passwd.png",
    "..\\..\\windows\\win.ini.png",
    "/etc/shadow.png",
    "photo.png\x00.exe",
    'evil"; filename="x.html.png',
    "evil\r\nX-Injected: yes.png",
    "名" * 300 + ".png",
]


@pytest.mark.parametrize("name", TRAVERSALS, ids=range(len(TRAVERSALS)))
def test_a_hostile_attachment_name_is_stored_safely_and_downloaded_with_a_safe_filename(
    api, staff, well, attachments_in_tmp, name
):
    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": SimpleUploadedFile(name, png_bytes(), content_type="image/png")},
        format="multipart",
    )

    assert no_server_error(response, name) in (201, 400)
    if response.status_code == 400:
        assert not Attachment.objects.exists()
        return
    attachment = Attachment.objects.get()
    # Stored under a name of our own, inside the store.
    # The upload, and its two thumbnails beside it if it is an image.
    names = {attachment.file.name.rsplit("/", 1)[-1] + suffix for suffix in ("", ".320.jpg", ".1280.jpg")}
    found = stored_files(attachments_in_tmp)
    assert {path.name for path in found} <= names
    (stored,) = [path for path in found if path.name == attachment.file.name.rsplit("/", 1)[-1]]
    assert stored.resolve().is_relative_to(attachments_in_tmp.resolve())
    assert stored.name == attachment.file.name.rsplit("/", 1)[-1]
    assert attachment.file.name.startswith(f"wells/{well.pk}/")
    assert all(part not in attachment.original_name for part in ("/", "\\", "\x00", "\r", "\n"))
    assert len(attachment.original_name) <= 200

    for url in (
        reverse("api:well-attachment", kwargs={"code": well.code, "attachment_id": attachment.pk}),
        reverse("wells:attachment-download", args=[attachment.pk]),
    ):
        if url.startswith("/api/"):
            client = api(staff)
        else:
            client = Client()
            client.force_login(staff)
        download = client.get(url)
        assert download.status_code == 200
        disposition = download["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition and "/" not in disposition.replace("*=utf-8''", "")
        assert not download.has_header("X-Injected")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert b"".join(download.streaming_content) == png_bytes()


# Every filter -------------------------------------------------------------------------------

# The API's lists and the parameters they read: their FilterSets' filters,
# and the ordering and page cursors.
API_FILTERS = {
    "api:well-list": [*WellFilterSet.base_filters, "cursor", "page_size"],
    "api:stats-summary": list(WellFilterSet.base_filters),
    "api:export-wells": list(WellFilterSet.base_filters),
    "api:inspection-list": [*InspectionFilterSet.base_filters, "cursor"],
    "api:task-list": [*TaskFilterSet.base_filters, "cursor"],
    "api:task-overview": list(TaskFilterSet.base_filters),
    "api:milestone-list": ["campaign"],
    "api:inspection-due-list": ["campaign", "cursor", "page_size"],
    "api:well-notices": ["code"],
    "api:work-report": ["campaign", "as_of", "area"],
    "api:publicity-list": ["cursor", "page_size"],
    "api:groundwater-reading-list": ["cursor", "page_size"],
    "api:monitoring-well-list": ["cursor", "page_size"],
    "api:notification-list": ["page"],
    "api:unit-list": ["page"],
    "api:township-list": ["page"],
    "api:campaign-list": ["page"],
}


@pytest.mark.parametrize("endpoint", sorted(API_FILTERS))
@pytest.mark.parametrize("persona", ["staff", "officer"])
def test_hostile_values_in_every_api_filter_are_answered_without_a_server_error(
    request, api, ledger, endpoint, persona
):
    client = api(request.getfixturevalue(persona))
    for parameter in API_FILTERS[endpoint]:
        for kind, value in HOSTILE.items():
            response = client.get(reverse(endpoint), {parameter: value})
            no_server_error(response, f"{endpoint}?{parameter}=<{kind}>")


PAGE_FILTERS = {
    "wells:ledger": [*WellFilterSet.base_filters, "page"],
    "wells:dashboard": list(WellFilterSet.base_filters),
    "wells:mine": ["page"],
    "tasks:mine": [*TaskFilterSet.base_filters, "page"],
    "tasks:notifications": ["page"],
    "tasks:overview": ["page"],
}


@pytest.mark.parametrize("page", sorted(PAGE_FILTERS))
def test_hostile_values_in_every_page_filter_are_answered_without_a_server_error(client, staff, ledger, page):
    client.force_login(staff)
    for parameter in PAGE_FILTERS[page]:
        for kind, value in HOSTILE.items():
            response = client.get(reverse(page), {parameter: value})
            no_server_error(response, f"{page}?{parameter}=<{kind}>")


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_values_in_addresses_are_answered_not_found(api, client, staff, ledger, kind):
    value = HOSTILE[kind]
    client.force_login(staff)
    for url in (
        f"/api/v1/wells/{value}/",
        f"/api/v1/wells/{value}/events/",
        f"/api/v1/wells/{value}/notice.docx",
        f"/api/v1/townships/{value}/",
        f"/api/v1/tasks/{value}/",
        f"/api/v1/inspections/{value}/",
    ):
        assert no_server_error(api(staff).get(url), url) == 404
    for url in (f"/well/{value}/", f"/well/{value}/label/", f"/well/{ledger.code}/action/{value}/"):
        assert no_server_error(client.get(url), url) == 404


# Every field -------------------------------------------------------------------------------


def writable(serializer_class, **kwargs):
    fields = serializer_class(**kwargs).fields
    return [name for name, field in fields.items() if not field.read_only]


def _body_cases(base, fields):
    for field in fields:
        for kind, value in HOSTILE.items():
            yield field, kind, {**base, field: value}


@pytest.fixture
def bodies(ledger, campaign, zhongshan, grid_unit):
    well = ledger
    new_well = {
        "code": "NEW-1",
        "owner_name": "新户",
        "owner_kind": "person",
        "township": zhongshan.code,
        "uses": ["irrigation"],
        "responsible_unit": well.responsible_unit_id,
        "campaign": campaign.pk,
        "category": "unlicensed",
    }
    transition = {"action": "notify", "version": well.version, "notice_no": "N1", "served_on": "2023-06-01"}
    return {
        ("post", reverse("api:well-list")): (new_well, writable(WellSerializer)),
        ("patch", reverse("api:well-detail", kwargs={"code": well.code})): (
            {"version": well.version},
            writable(WellUpdateSerializer),
        ),
        ("post", reverse("api:well-transitions", kwargs={"code": well.code})): (
            transition,
            list(TransitionSerializer().fields),
        ),
        ("post", reverse("api:inspection-list")): (
            {"well": well.code, "inspected_on": "2023-06-10", "result": "intact"},
            ["well", "inspected_on", "result", "lat", "lng", "note"],
        ),
        ("post", reverse("api:publicity-list")): (
            {"campaign": campaign.pk, "unit": grid_unit.pk, "kind": "post", "count": 1, "held_on": "2023-06-01"},
            ["campaign", "unit", "kind", "count", "held_on", "note"],
        ),
        ("post", reverse("api:groundwater-reading-list")): (
            {"monitoring_well": "JC-1", "measured_on": "2023-06-01", "depth_to_water_m": "3.5"},
            ["monitoring_well", "measured_on", "depth_to_water_m"],
        ),
        ("post", reverse("api:task-complete", kwargs={"pk": Task.objects.get(well=well).pk})): (
            {"version": well.version, "disconnected_on": "2023-06-01"},
            ["version", "note", "disconnected_on", "supply_connected_on", "evidence"],
        ),
        ("patch", reverse("api:milestone-detail", kwargs={"pk": _phase(campaign).pk})): (
            {},
            ["completed_on"],
        ),
        ("post", reverse("api:auth-token")): ({"username": "bob_staff", "password": "x"}, ["username", "password"]),
    }


def _phase(campaign):
    from wells.models import Phase

    return Phase.objects.get_or_create(
        campaign=campaign, order=1, defaults={"name": "体系建立", "deadline": datetime.date(2022, 4, 30)}
    )[0]


def test_hostile_values_in_every_api_field_are_answered_without_a_server_error(api, staff, bodies):
    client = api(staff)
    for (method, url), (base, fields) in bodies.items():
        for field, kind, body in _body_cases(base, fields):
            response = getattr(client, method)(url, body, format="json")
            no_server_error(response, f"{method.upper()} {url} {field}=<{kind}>")


def test_hostile_values_in_an_upload_form_are_answered_without_a_server_error(api, staff, well):
    url = reverse("api:well-attachments", kwargs={"code": well.code})
    for kind, value in HOSTILE.items():
        photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
        response = api(staff).post(url, {"kind": value, "file": photo}, format="multipart")
        assert no_server_error(response, f"kind=<{kind}>") == 400
        response = api(staff).post(url, {"kind": AttachmentKind.PHOTO, "file": value}, format="multipart")
        assert no_server_error(response, f"file=<{kind}>") == 400
    assert not Attachment.objects.exists()


@pytest.mark.parametrize("action", [action.value for action in Action])
def test_hostile_values_in_every_action_form_field_are_answered_without_a_server_error(
    client, admin_user, ledger, action
):
    client.force_login(admin_user)
    url = reverse("wells:action", args=[ledger.code, action])
    for field in [*ACTION_FIELDS[Action(action)], "note", "version"]:
        for kind, value in HOSTILE.items():
            response = client.post(url, {"version": ledger.version, field: value})
            no_server_error(response, f"{action} {field}=<{kind}>")
    ledger.refresh_from_db()
    assert ledger.version == 1


def test_hostile_values_in_the_other_page_forms_are_answered_without_a_server_error(client, staff, ledger):
    client.force_login(staff)
    forms = {
        reverse("wells:inspection", args=[ledger.code]): ["inspected_on", "result", "note", "lat", "lng"],
        reverse("wells:upload", args=[ledger.code]): ["kind"],
        reverse("wells:bulk-notify"): ["wells", "notice_no", "served_on", "comply_by", "filters", "apply"],
        reverse("wells:import"): ["campaign"],
        reverse("accounts:password-change"): ["old_password", "new_password1", "new_password2"],
        reverse("set_language"): ["language", "next"],
    }
    for url, fields in forms.items():
        for field in fields:
            for kind, value in HOSTILE.items():
                no_server_error(client.post(url, {field: value}), f"{url} {field}=<{kind}>")


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_credentials_are_refused_without_a_server_error(client, api, staff, kind):
    value = HOSTILE[kind]
    client.logout()
    for data in ({"username": value, "password": "x"}, {"username": staff.username, "password": value}):
        assert no_server_error(client.post(reverse("accounts:login"), data), f"login {kind}") == 200
        assert no_server_error(client.post(reverse("admin:login"), data), f"admin login {kind}") == 200
        response = APIClient().post(reverse("api:auth-token"), data, format="json")
        assert no_server_error(response, f"token {kind}") == 400
