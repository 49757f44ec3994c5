"""A request body over ``MAX_REQUEST_BODY_BYTES`` is refused with 413
before any of it is read, for an anonymous visitor and a signed-in person
alike, on the API (``{"detail": …}``) and on the pages (a plain message).
A body without a declared length cannot be read past the limit either.

The bodies here are WSGI inputs that make their bytes on demand and count
what is read: a test fails when a refused body is read at all."""

import json

import pytest
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from tests.test_production_settings import settings_under
from tests.tokens import token_for
from wellclosure.middleware import RequestBodyLimitMiddleware

pytestmark = pytest.mark.usefixtures("clock")

LIMIT = 1024 * 1024
HUGE = 300 * 1024 * 1024  # the size of the probe that was written to disk before its 400


class Body:
    """A WSGI input of ``size`` bytes, made as they are read, that fails the
    test when more than ``allowed`` of them are read."""

    def __init__(self, size, allowed=0):
        self.size, self.allowed, self.read_bytes = size, allowed, 0

    def read(self, size=-1, /):
        remaining = self.size - self.read_bytes
        size = remaining if size is None or size < 0 else min(size, remaining)
        self.read_bytes += size
        assert self.read_bytes <= self.allowed, f"{self.read_bytes} bytes of the body were read"
        return b"x" * size

    def readline(self, size=-1, /):
        return self.read(size)


@pytest.fixture(autouse=True)
def limit(settings):
    settings.MAX_REQUEST_BODY_BYTES = LIMIT
    return LIMIT


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def post_body(client, path, body, length, content_type="multipart/form-data; boundary=wellclosure", **extra):
    """POST ``body`` (a :class:`Body`) declaring ``length`` (None: no
    Content-Length, the body chunked)."""
    environ = {"wsgi.input": body, "CONTENT_TYPE": content_type, **extra}
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    else:
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    return client.generic("POST", path, b"", **environ)


def test_an_anonymous_oversize_upload_to_the_token_endpoint_is_refused_before_it_is_read(client):
    body = Body(HUGE)

    response = post_body(client, reverse("api:auth-token"), body, HUGE)

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "The request is too large: at most 1.0\xa0MB can be sent at once. "
        "Make the file smaller or send fewer files, and try again."
    }
    assert body.read_bytes == 0


def test_an_oversize_body_to_a_page_is_refused_with_a_plain_message_before_it_is_read(client):
    body = Body(HUGE)

    response = post_body(client, reverse("accounts:login"), body, HUGE)

    assert response.status_code == 413
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("The request is too large: at most 1.0\xa0MB")
    assert body.read_bytes == 0


def test_a_signed_in_officers_oversize_photo_is_refused_before_it_is_read(client, officer, well):
    client.force_login(officer)
    body = Body(HUGE)

    response = post_body(client, reverse("wells:upload", kwargs={"code": well.code}), body, HUGE)

    assert response.status_code == 413
    assert "The request is too large" in response.content.decode()
    assert body.read_bytes == 0
    assert not well.attachments.exists()


def test_an_oversize_upload_with_a_token_is_refused_before_it_is_read(client, officer, well):
    body = Body(HUGE)

    response = post_body(
        client,
        reverse("api:well-attachments", kwargs={"code": well.code}),
        body,
        HUGE,
        HTTP_AUTHORIZATION=f"Token {token_for(officer)}",
    )

    assert response.status_code == 413
    assert "The request is too large" in response.json()["detail"]
    assert body.read_bytes == 0
    assert not well.attachments.exists()


def test_a_body_of_exactly_the_limit_is_read_and_one_byte_more_is_not(client, db):
    def credentials(size):
        start = json.dumps({"username": "nobody", "password": "wrong", "padding": ""}).encode()
        return start[:-2] + b"x" * (size - len(start)) + start[-2:]

    at_limit = client.post(reverse("api:auth-token"), credentials(LIMIT), content_type="application/json")
    over = client.post(reverse("api:auth-token"), credentials(LIMIT + 1), content_type="application/json")

    assert at_limit.status_code == 400  # read whole, and refused as a sign-in
    assert over.status_code == 413


def test_a_chunked_body_without_a_length_is_not_read_and_is_no_server_error(client, db):
    body = Body(HUGE, allowed=LIMIT + 1)

    response = post_body(client, reverse("api:auth-token"), body, None)

    # Django reads no body that declares no length: the sign-in has no
    # username, which is a 400, and nothing was read.
    assert response.status_code == 400
    assert body.read_bytes == 0


def reader(request):
    """A view that reads the raw WSGI input to its end."""
    return HttpResponse(request.META["wsgi.input"].read())


@pytest.mark.parametrize(
    "inner",
    [
        pytest.param(reader, id="the read raises"),
        # Django turns the exception into a 400 before the middleware sees it.
        pytest.param(convert_exception_to_response(reader), id="the read's error became a response"),
    ],
)
def test_reading_a_chunked_body_past_the_limit_ends_as_413(inner):
    body = Body(HUGE, allowed=LIMIT + 1)
    request = RequestFactory().generic("POST", "/api/v1/auth/token/", b"", **{"wsgi.input": body})

    response = RequestBodyLimitMiddleware(inner)(request)

    assert response.status_code == 413
    assert body.read_bytes == LIMIT + 1


def test_a_chunked_body_within_the_limit_reads_whole():
    body = Body(LIMIT, allowed=LIMIT)
    request = RequestFactory().generic("POST", "/upload/", b"", **{"wsgi.input": body})

    response = RequestBodyLimitMiddleware(reader)(request)

    assert response.status_code == 200
    assert len(response.content) == LIMIT


# The setting --------------------------------------------------------------------------


def test_the_limit_is_a_little_above_the_largest_upload_by_default():
    defaults = settings_under(["MAX_REQUEST_BODY_BYTES", "ATTACHMENT_MAX_BYTES", "IMPORT_MAX_BYTES"])

    assert defaults == {
        "MAX_REQUEST_BODY_BYTES": str(25 * 1024 * 1024),
        "ATTACHMENT_MAX_BYTES": str(20 * 1024 * 1024),
        "IMPORT_MAX_BYTES": str(10 * 1024 * 1024),
    }
    assert settings_under(["MAX_REQUEST_BODY_BYTES"], ATTACHMENT_MAX_BYTES=str(50 * 1024 * 1024)) == {
        "MAX_REQUEST_BODY_BYTES": str(55 * 1024 * 1024)
    }


def test_the_limit_comes_from_the_environment_in_mib():
    assert settings_under(["MAX_REQUEST_BODY_BYTES"], MAX_REQUEST_BODY_MB="40") == {
        "MAX_REQUEST_BODY_BYTES": str(40 * 1024 * 1024)
    }
