"""Signing in to the API: a token for scripts, the session for the browser."""

import pytest
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.api.helpers import url


def test_a_script_exchanges_username_and_password_for_a_token_that_expires_in_30_days(api, officer, clock):
    clock.move_to("2023-06-15T10:00:00+08:00", tick=False)

    response = api().post(url("auth-token"), {"username": officer.username, "password": "test-pass-2022"})

    assert response.status_code == 200
    body = response.json()
    assert body.keys() == {"token", "expiry"}
    assert body["expiry"] == "2023-07-15T10:00:00+08:00"
    # Stored only as its digest (SHA-512), found by its first 15 characters.
    stored = AuthToken.objects.get(user=officer)
    assert (stored.digest, stored.token_key) == (hash_token(body["token"]), body["token"][:15])


def test_each_sign_in_gets_its_own_token_and_both_work(api, officer, well):
    credentials = {"username": officer.username, "password": "test-pass-2022"}
    first = api().post(url("auth-token"), credentials).json()["token"]
    second = api().post(url("auth-token"), credentials).json()["token"]

    assert first != second
    assert AuthToken.objects.filter(user=officer).count() == 2
    for key in (first, second):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert client.get(url("well-list")).status_code == 200


def test_a_wrong_password_gets_no_token(api, officer):
    response = api().post(url("auth-token"), {"username": officer.username, "password": "guess"})

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["Unable to log in with provided credentials."]}
    assert not AuthToken.objects.exists()


def test_an_inactive_user_gets_no_token(api, officer):
    officer.is_active = False
    officer.save()

    response = api().post(url("auth-token"), {"username": officer.username, "password": "test-pass-2022"})

    assert response.status_code == 400


def test_the_token_opens_the_api(api, officer, well):
    key = api().post(url("auth-token"), {"username": officer.username, "password": "test-pass-2022"}).json()["token"]
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get(url("well-list"))

    assert response.status_code == 200
    assert [row["code"] for row in response.json()["results"]] == [well.code]


def test_without_credentials_the_api_answers_401_and_says_how_to_sign_in(api, well):
    response = api().get(url("well-list"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {"detail": "Authentication credentials were not provided."}


@pytest.mark.parametrize(
    "key",
    [
        "0123456789abcdef" * 4,  # the shape of a knox token, but none of ours
        "0123456789abcdef0123456789abcdef01234567",  # the shape of an old DRF token
        "0123456789abcdef" * 3 + "\x000123456789abcde",  # a NUL, which PostgreSQL cannot compare
        "f" * 10_000,
    ],
    ids=["unknown", "old-drf-token", "nul", "10000-characters"],
)
def test_an_unknown_token_is_refused(well, key):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")

    response = client.get(url("well-list"))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_token_header_that_is_not_ascii_is_refused_not_a_server_error(well):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    # A header as a WSGI server hands it over: bytes decoded as Latin-1.
    client.credentials(HTTP_AUTHORIZATION="Token " + "井".encode().decode("latin-1") * 20)

    response = client.get(url("well-list"))

    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_a_browser_session_opens_the_api(client, officer, well):
    client.force_login(officer)

    response = client.get(url("well-detail", code=well.code))

    assert response.status_code == 200
    assert response.json()["code"] == well.code


@pytest.mark.parametrize("method", ["post", "patch"])
def test_a_browser_session_must_send_the_csrf_token_to_write(method, officer, well):
    client = APIClient(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(officer)
    path = url("well-transitions", code=well.code) if method == "post" else url("well-detail", code=well.code)

    response = getattr(client, method)(path, {"action": "notify", "version": 1}, format="json")

    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    well.refresh_from_db()
    assert well.version == 1
