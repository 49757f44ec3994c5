"""Signing in is guarded: five failed attempts for one username from one
address lock that pair out for 30 minutes (on the login page, the admin's
and the API's token endpoint alike), weak passwords are refused, a session
ends after a working day or when the browser closes, and a deactivated
user can no longer get in while everything they did keeps their name.

The clock stands at 2023-06-15 10:00 in Shanghai and moves where the test
says so."""

import datetime

import pytest
from django.conf import settings
from django.urls import reverse
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.tokens import token_for
from wells.choices import Action
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

PASSWORD = "test-pass-2022"


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def log_in(client, username, password, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def ask_token(username, password, address="127.0.0.1"):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    return client.post(reverse("api:auth-token"), {"username": username, "password": password}, format="json")


def fail_times(client, username, times, **extra):
    return [log_in(client, username, "wrong-password", **extra).status_code for _ in range(times)]


# The lockout -------------------------------------------------------------------------


def test_five_failed_sign_ins_lock_the_login_page_with_a_clear_message(client, officer):
    assert fail_times(client, officer.username, 4) == [200, 200, 200, 200]

    fifth = log_in(client, officer.username, "wrong-password")

    assert fifth.status_code == 429
    assert 'data-testid="locked-out"' in fifth.content.decode()
    assert "Too many failed sign-in attempts" in fifth.content.decode()
    assert "30 minutes" in fifth.content.decode()


def test_the_right_password_does_not_open_a_locked_account(client, officer):
    fail_times(client, officer.username, 5)

    response = log_in(client, officer.username, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lock_opens_after_thirty_minutes(client, officer, clock):
    fail_times(client, officer.username, 5)
    clock.shift(datetime.timedelta(minutes=29))
    assert log_in(client, officer.username, PASSWORD).status_code == 429

    clock.shift(datetime.timedelta(minutes=2))
    response = log_in(client, officer.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(officer.pk)


def test_the_lock_holds_one_username_from_one_address_only(client, officer, other_officer):
    fail_times(client, officer.username, 5, REMOTE_ADDR="10.1.1.1")

    # The same person from another address, another person from the same.
    assert log_in(client, officer.username, PASSWORD, REMOTE_ADDR="10.2.2.2").status_code == 302
    client.logout()
    assert log_in(client, other_officer.username, PASSWORD, REMOTE_ADDR="10.1.1.1").status_code == 302


def test_a_successful_sign_in_clears_the_failures(client, officer):
    fail_times(client, officer.username, 4)
    assert log_in(client, officer.username, PASSWORD).status_code == 302
    client.logout()

    assert fail_times(client, officer.username, 4) == [200, 200, 200, 200]


def test_the_admin_login_is_locked_the_same_way(client, staff):
    admin_login = reverse("admin:login")
    for _ in range(4):
        assert client.post(admin_login, {"username": staff.username, "password": "nope"}).status_code == 200

    assert client.post(admin_login, {"username": staff.username, "password": "nope"}).status_code == 429
    assert client.post(admin_login, {"username": staff.username, "password": PASSWORD}).status_code == 429


def test_the_token_endpoint_is_locked_after_five_failures_with_a_json_reason(officer):
    statuses = [ask_token(officer.username, "wrong-password").status_code for _ in range(5)]

    assert statuses == [400, 400, 400, 400, 429]
    locked = ask_token(officer.username, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.json()["detail"]
    assert not AuthToken.objects.filter(user=officer).exists()


def test_the_token_endpoint_opens_again_after_thirty_minutes(officer, clock):
    for _ in range(5):
        ask_token(officer.username, "wrong-password")
    clock.shift(datetime.timedelta(minutes=31))

    response = ask_token(officer.username, PASSWORD)

    assert response.status_code == 200
    assert AuthToken.objects.get(user=officer).digest == hash_token(response.json()["token"])


def test_failures_on_the_login_page_also_lock_the_token_endpoint(client, officer):
    fail_times(client, officer.username, 5)

    assert ask_token(officer.username, PASSWORD).status_code == 429


def test_a_token_request_from_another_address_is_not_locked(officer):
    for _ in range(5):
        ask_token(officer.username, "wrong-password", address="10.9.9.9")

    assert ask_token(officer.username, PASSWORD, address="10.8.8.8").status_code == 200


# Passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("weak", "reason"),
    [
        ("short1!", "too short"),
        ("password123", "too common"),
        ("83749215730", "entirely numeric"),
        ("carol_officer1", "too similar"),
    ],
)
def test_a_weak_password_is_refused_on_password_change(client, officer, weak, reason):
    client.force_login(officer)

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
    )

    assert response.status_code == 200
    assert reason in response.content.decode()
    officer.refresh_from_db()
    assert officer.check_password(PASSWORD)


def test_a_strong_password_is_taken(client, officer):
    client.force_login(officer)
    strong = "井盖-封填-2023-验收"

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": strong, "new_password2": strong},
    )

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(strong)


# Sessions ----------------------------------------------------------------------------


def test_a_session_lasts_eight_hours_and_ends_with_the_browser(client, officer):
    assert settings.SESSION_COOKIE_AGE == 8 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True

    log_in(client, officer.username, PASSWORD)

    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"] is True


def test_a_session_older_than_eight_hours_is_signed_out(client, officer, clock):
    log_in(client, officer.username, PASSWORD)
    assert client.get(reverse("wells:mine")).status_code == 200

    clock.shift(datetime.timedelta(hours=8, minutes=1))
    response = client.get(reverse("wells:mine"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# Deactivation ----------------------------------------------------------------------


@pytest.fixture
def departed(officer, well, notice):
    """An officer who served a notice and then left: deactivated, not deleted."""
    perform(well, Action.NOTIFY, actor=officer, data=notice, version=well.version)
    officer.api_token = token_for(officer)
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    return officer


def test_a_deactivated_user_cannot_sign_in(client, departed):
    response = log_in(client, departed.username, PASSWORD)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_deactivated_users_token_is_refused(departed):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {departed.api_token}")

    assert client.get(reverse("api:well-list")).status_code == 401
    # Deactivation ended it: it is not there to come back with the person.
    assert not AuthToken.objects.filter(user=departed).exists()


def test_a_deactivated_users_open_session_ends(client, officer, well):
    client.force_login(officer)
    assert client.get(reverse("wells:mine")).status_code == 200

    officer.is_active = False
    officer.save(update_fields=["is_active"])

    assert client.get(reverse("wells:mine")).status_code == 302


def test_what_a_deactivated_user_did_still_carries_their_name(client, api_staff_client, departed, well):
    event = well.events.get()
    assert event.actor == departed and event.actor_name == str(departed)

    events = api_staff_client.get(reverse("api:well-events", kwargs={"code": well.code})).json()

    assert [e["actor_name"] for e in events] == [str(departed)]


@pytest.fixture
def api_staff_client(staff):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(staff)
    return client


def test_an_administrator_deactivates_a_user_in_the_admin_without_deleting_them(client, admin_user, officer):
    client.force_login(admin_user)
    change = reverse("admin:accounts_user_change", args=[officer.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="is_active"' in page.content.decode()
    # Nobody deletes a user through the product: their records keep them.
    assert client.get(reverse("admin:accounts_user_delete", args=[officer.pk])).status_code == 403
