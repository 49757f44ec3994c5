"""Nothing the application answers is kept by a shared browser or a proxy:
every page, API answer and download carries ``Cache-Control: no-store``
(Django's never-cache headers), signed in or not. Only the static files,
which WhiteNoise answers, keep their long cache."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from tests.api.helpers import png_bytes
from tests.tokens import token_for
from wells.choices import AttachmentKind
from wells.uploads import store_attachment

pytestmark = pytest.mark.usefixtures("clock")


def cache_directives(response):
    return {part.strip().split("=")[0] for part in response.get("Cache-Control", "").split(",") if part.strip()}


def assert_not_stored(response):
    assert response.status_code < 400, response.status_code
    assert {"no-store", "no-cache", "private"} <= cache_directives(response), response.get("Cache-Control")


@pytest.fixture
def photo(well, staff):
    upload = SimpleUploadedFile("照片.png", png_bytes(), content_type="image/png")
    return store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=upload, uploaded_by=staff)


@pytest.fixture
def signed_in(staff):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(staff)
    return client


@pytest.fixture
def with_token(staff):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(staff)}")
    return client


@pytest.mark.parametrize(
    "page",
    [
        lambda well: reverse("wells:ledger"),
        lambda well: reverse("wells:well", kwargs={"code": well.code}),
        lambda well: reverse("wells:dashboard"),
        lambda well: reverse("tasks:mine"),
        lambda well: reverse("accounts:password-change"),
        lambda well: reverse("admin:wells_well_changelist"),
    ],
    ids=["ledger", "well", "dashboard", "tasks", "password", "admin"],
)
def test_a_signed_in_page_is_not_stored(signed_in, well, page):
    assert_not_stored(signed_in.get(page(well)))


@pytest.mark.parametrize(
    "endpoint",
    [
        lambda well: reverse("api:well-list"),
        lambda well: reverse("api:well-detail", kwargs={"code": well.code}),
        lambda well: reverse("api:well-history", kwargs={"code": well.code}),
        lambda well: reverse("api:stats-summary"),
        lambda well: reverse("api:notification-list"),
    ],
    ids=["wells", "well", "history", "summary", "notifications"],
)
def test_an_api_answer_to_a_token_is_not_stored(with_token, well, endpoint):
    assert_not_stored(with_token.get(endpoint(well)))


def test_an_api_answer_in_a_browser_session_is_not_stored(signed_in, well):
    assert_not_stored(signed_in.get(reverse("api:well-detail", kwargs={"code": well.code})))


@pytest.mark.parametrize(
    "download",
    [
        lambda well, photo: reverse("api:well-attachment", kwargs={"code": well.code, "attachment_id": photo.pk}),
        lambda well, photo: reverse("api:export-wells"),
        lambda well, photo: reverse("api:import-wells-template"),
        lambda well, photo: reverse("api:well-notice", kwargs={"code": well.code}),
        lambda well, photo: reverse("api:well-acceptance", kwargs={"code": well.code}),
        lambda well, photo: reverse("api:work-report"),
    ],
    ids=["attachment", "xlsx export", "xlsx template", "notice docx", "acceptance docx", "work report docx"],
)
def test_an_api_download_is_not_stored(with_token, well, photo, download):
    response = with_token.get(download(well, photo))

    assert_not_stored(response)
    response.close()


def test_an_attachment_downloaded_from_its_page_is_not_stored(signed_in, photo):
    response = signed_in.get(reverse("wells:attachment-download", kwargs={"pk": photo.pk}))

    assert_not_stored(response)
    assert b"".join(response.streaming_content) == png_bytes()


def test_what_an_anonymous_visitor_gets_is_not_stored_either(client):
    assert_not_stored(client.get(reverse("accounts:login")))
    refused = APIClient().get(reverse("api:well-list"))
    assert refused.status_code == 401
    assert "no-store" in cache_directives(refused)


def test_a_static_file_keeps_its_long_cache_for_a_signed_in_user(settings, tmp_path, staff):
    """After ``collectstatic`` (as a deployment runs it, with hashed names)
    WhiteNoise answers a static file itself, cached for ten years."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    client = Client()  # a new client loads WhiteNoise over the new static root
    client.force_login(staff)
    address = static("wells/site.css")
    assert address != "/static/wells/site.css"  # the hashed name

    response = client.get(address)

    assert response.status_code == 200
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"
    response.close()
