"""An API token lives 30 days from the sign-in that issued it, and ends
sooner when its person's password, active status or role changes, when they
end it on the password page, or when a bureau administrator ends it in the
admin (accounts.tokens, django-rest-knox). Nobody else sees or ends it.

The clock stands at 2023-06-15 10:00 in Shanghai (tests/api/conftest.py)."""

import datetime
import types

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.urls import reverse
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from accounts.choices import Role
from tests.api.helpers import url
from tests.tokens import token_for
from wellclosure.env import env_int

PASSWORD = "test-pass-2022"
NEW_PASSWORD = "井盖-封填-2023-验收"


def opens_the_api(key):
    """The status of a well list asked for with this token."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.get(url("well-list")).status_code


def sign_in(username, password=PASSWORD):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    return client.post(url("auth-token"), {"username": username, "password": password}, format="json")


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


# Expiry ----------------------------------------------------------------------------


def test_a_token_works_for_30_days_and_then_is_refused_and_deleted(officer, well, clock):
    key = sign_in(officer.username).json()["token"]
    assert opens_the_api(key) == 200

    clock.shift(datetime.timedelta(days=30, minutes=-1))
    assert opens_the_api(key) == 200

    clock.shift(datetime.timedelta(minutes=2))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get(url("well-list"))

    assert response.status_code == 401
    assert response.json() == {"detail": "The token has expired: ask for a new one."}
    assert not AuthToken.objects.filter(user=officer).exists()


def test_using_a_token_does_not_lengthen_its_life(officer, well, clock):
    key = sign_in(officer.username).json()["token"]
    for _day in range(29):
        clock.shift(datetime.timedelta(days=1))
        assert opens_the_api(key) == 200

    clock.shift(datetime.timedelta(days=1, minutes=1))

    assert opens_the_api(key) == 401


def test_the_lifetime_comes_from_the_settings(settings, officer, clock):
    clock.move_to("2023-06-15T10:00:00+08:00", tick=False)
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(days=7)}

    response = sign_in(officer.username)

    assert response.json()["expiry"] == "2023-06-22T10:00:00+08:00"


@pytest.mark.parametrize("value", ["0", "-3", "thirty"])
def test_a_lifetime_of_no_days_stops_the_start(monkeypatch, value):
    monkeypatch.setenv("API_TOKEN_DAYS", value)

    with pytest.raises(ImproperlyConfigured, match="API_TOKEN_DAYS"):
        env_int("API_TOKEN_DAYS", 30, minimum=1)


# One per device, and a limit ---------------------------------------------------------


def test_a_user_holds_at_most_ten_live_tokens(officer, client):
    keys = [sign_in(officer.username).json()["token"] for _ in range(10)]

    refused = sign_in(officer.username)

    assert refused.status_code == 403
    assert refused.json() == {
        "detail": "You already hold 10 API tokens, the most allowed. "
        "End one on the password page (/accounts/password/) and ask again."
    }
    assert AuthToken.objects.filter(user=officer).count() == 10
    client.force_login(officer)
    client.post(reverse("accounts:token-end", args=[keys[0][:15]]))
    assert sign_in(officer.username).status_code == 200


def test_expired_tokens_do_not_count_toward_the_limit_and_are_cleared_at_sign_in(settings, officer, clock):
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    sign_in(officer.username)
    sign_in(officer.username)
    clock.shift(datetime.timedelta(days=31))

    response = sign_in(officer.username)

    assert response.status_code == 200
    assert list(AuthToken.objects.filter(user=officer).values_list("digest", flat=True)) == [
        hash_token(response.json()["token"])
    ]


# A password change ends every token ---------------------------------------------------


@pytest.fixture
def tokens(officer, member):
    """Two tokens of the officer (two devices) and one of another person."""
    return {"mine": [token_for(officer), token_for(officer)], "theirs": token_for(member)}


def assert_ended(tokens):
    assert [opens_the_api(key) for key in tokens["mine"]] == [401, 401]
    assert opens_the_api(tokens["theirs"]) == 200


def assert_kept(tokens):
    assert [opens_the_api(key) for key in tokens["mine"]] == [200, 200]


def test_a_password_change_on_the_password_page_ends_the_users_tokens(client, officer, tokens):
    client.force_login(officer)

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert_ended(tokens)


def test_a_refused_password_change_keeps_the_tokens(client, officer, tokens):
    client.force_login(officer)

    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert_kept(tokens)


@pytest.mark.parametrize(
    "data",
    [
        {"usable_password": "true", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        {"usable_password": "false", "unset-password": "1"},
    ],
    ids=["new-password", "password-disabled"],
)
def test_a_password_set_by_an_administrator_in_the_admin_ends_the_users_tokens(
    client, admin_user, officer, tokens, data
):
    client.force_login(admin_user)

    response = client.post(reverse("admin:auth_user_password_change", args=[officer.pk]), data)

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.has_usable_password() is ("password1" in data)
    assert_ended(tokens)


@pytest.mark.parametrize(
    "change",
    [
        lambda user: user.set_password(NEW_PASSWORD),
        lambda user: user.set_unusable_password(),
        lambda user: setattr(user, "password", make_password(NEW_PASSWORD)),
    ],
    ids=["set_password", "set_unusable_password", "a-hash-assigned"],
)
def test_a_password_changed_in_code_ends_the_users_tokens_when_saved(officer, tokens, change):
    change(officer)
    assert_kept(tokens)

    officer.save()

    assert_ended(tokens)


def test_the_same_password_saved_under_a_stronger_hash_at_sign_in_keeps_the_tokens(officer, tokens):
    """Django re-hashes a right password whose hasher is not the preferred
    one (the tests prefer MD5): the password is the same."""
    officer.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    officer.save()
    tokens["mine"] = [token_for(officer), token_for(officer)]

    assert sign_in(officer.username).status_code == 200

    officer.refresh_from_db()
    assert officer.password.startswith("md5$")
    assert_kept(tokens)


def test_saving_a_user_without_a_guarded_change_keeps_the_tokens(client, officer, tokens):
    officer.display_name = "王专干"
    officer.save()
    client.post(reverse("accounts:login"), {"username": officer.username, "password": PASSWORD})  # last_login

    assert_kept(tokens)


# Deactivation ---------------------------------------------------------------------


def test_deactivation_ends_the_users_tokens_and_reactivation_brings_none_back(officer, tokens):
    officer.is_active = False
    officer.save(update_fields=["is_active"])
    assert_ended(tokens)

    officer.is_active = True
    officer.save()

    assert [opens_the_api(key) for key in tokens["mine"]] == [401, 401]
    assert not AuthToken.objects.filter(user=officer).exists()
    fresh = sign_in(officer.username).json()["token"]
    assert fresh not in tokens["mine"] and opens_the_api(fresh) == 200


def test_a_user_deactivated_around_the_model_is_refused_and_reactivation_ends_the_token(officer, tokens):
    User = type(officer)
    User.objects.filter(pk=officer.pk).update(is_active=False)  # no signal
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {tokens['mine'][0]}")
    assert client.get(url("well-list")).json() == {"detail": "User inactive or deleted."}

    officer.refresh_from_db()
    officer.is_active = True
    officer.save()

    assert_ended(tokens)


def user_form(user, **changes):
    """The admin's change form of ``user`` as it stands, with ``changes``."""
    data = {
        "username": user.username,
        "display_name": user.display_name,
        "first_name": "",
        "last_name": "",
        "email": user.email,
        "unit": user.unit_id or "",
        "groups": [group.pk for group in user.groups.all()],
        "is_active": "on",
        "is_staff": "on",
        "date_joined_0": "2023-06-01",
        "date_joined_1": "09:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_an_administrator_who_deactivates_a_user_in_the_admin_ends_their_tokens(client, admin_user, officer, tokens):
    client.force_login(admin_user)

    response = client.post(reverse("admin:accounts_user_change", args=[officer.pk]), user_form(officer, is_active=None))

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.is_active is False
    assert_ended(tokens)


def test_saving_a_user_unchanged_in_the_admin_keeps_their_tokens(client, admin_user, officer, tokens):
    client.force_login(admin_user)

    response = client.post(reverse("admin:accounts_user_change", args=[officer.pk]), user_form(officer))

    assert response.status_code == 302
    assert_kept(tokens)


# Role change ----------------------------------------------------------------------


def test_an_administrator_who_changes_a_users_role_in_the_admin_ends_their_tokens(client, admin_user, officer, tokens):
    client.force_login(admin_user)
    leader = Group.objects.get(name=Role.LEADER)

    response = client.post(
        reverse("admin:accounts_user_change", args=[officer.pk]), user_form(officer, groups=[leader.pk])
    )

    assert response.status_code == 302
    assert list(officer.groups.values_list("name", flat=True)) == [Role.LEADER]
    assert_ended(tokens)


def group(role):
    return Group.objects.get(name=role)


@pytest.mark.parametrize(
    "change",
    [
        lambda user: user.groups.add(group(Role.LEADER)),
        lambda user: user.groups.remove(group(Role.TOWNSHIP_OFFICER)),
        lambda user: user.groups.clear(),
        lambda user: user.groups.set([group(Role.BUREAU_STAFF)]),
        lambda user: group(Role.BUREAU_ADMIN).user_set.add(user),
        lambda user: group(Role.TOWNSHIP_OFFICER).user_set.remove(user),
        lambda user: group(Role.TOWNSHIP_OFFICER).user_set.clear(),
        lambda user: (setattr(user, "is_superuser", True), user.save()),
    ],
    ids=[
        "group-added",
        "group-removed",
        "groups-cleared",
        "groups-set",
        "added-from-the-group",
        "removed-from-the-group",
        "group-emptied",
        "made-superuser",
    ],
)
def test_a_role_change_ends_the_users_tokens(officer, tokens, change):
    change(officer)

    assert_ended(tokens)


def test_setting_the_same_groups_again_keeps_the_tokens(officer, tokens):
    officer.groups.set([group(Role.TOWNSHIP_OFFICER)])

    assert_kept(tokens)


# The user's own tokens on the password page --------------------------------------------


def test_the_password_page_lists_the_users_own_tokens_without_their_secrets(client, officer, other_officer, clock):
    clock.move_to("2023-06-15T10:00:00+08:00", tick=False)
    first = sign_in(officer.username).json()["token"]
    clock.move_to("2023-06-16T08:30:00+08:00", tick=False)
    second = sign_in(officer.username).json()["token"]
    theirs = token_for(other_officer)
    client.force_login(officer)

    page = client.get(reverse("accounts:password-change")).content.decode()

    section = page[page.index('data-testid="api-tokens"') :]
    # Newest first, each by the start of its key, issued and expiring (Shanghai time).
    assert [row.split('data-token="')[1][:8] for row in section.split('data-testid="api-token" ')[1:]] == [
        second[:8],
        first[:8],
    ]
    assert "2023-06-16 08:30" in section and "2023-07-16 08:30" in section
    assert "2023-06-15 10:00" in section and "2023-07-15 10:00" in section
    for secret in (first, second, hash_token(first), hash_token(second)):
        assert secret not in page
    assert theirs[:8] not in page


def test_the_password_page_says_when_the_user_holds_no_token(client, officer):
    client.force_login(officer)

    page = client.get(reverse("accounts:password-change")).content.decode()

    assert 'data-testid="no-api-tokens"' in page


def test_a_user_ends_one_of_their_own_tokens_on_the_password_page(client, officer, tokens):
    client.force_login(officer)
    ended, kept = tokens["mine"]

    response = client.post(reverse("accounts:token-end", args=[ended[:15]]), follow=True)

    assert response.redirect_chain == [(reverse("accounts:password-change"), 302)]
    assert f"The API token {ended[:8]}… is ended." in response.content.decode()
    assert (opens_the_api(ended), opens_the_api(kept)) == (401, 200)


def test_nobody_ends_another_persons_token_on_the_password_page(client, officer, other_officer, tokens):
    client.force_login(other_officer)

    response = client.post(reverse("accounts:token-end", args=[tokens["mine"][0][:15]]))

    assert response.status_code == 404
    assert_kept(tokens)


def test_ending_a_token_takes_a_post_from_a_signed_in_user(client, officer, tokens):
    path = reverse("accounts:token-end", args=[tokens["mine"][0][:15]])
    assert client.post(path)["Location"].startswith(reverse("accounts:login"))
    client.force_login(officer)

    assert client.get(path).status_code == 405
    assert_kept(tokens)


# A bureau administrator ends anyone's token in the admin -------------------------------


def test_a_bureau_administrator_sees_everyones_tokens_in_the_admin_without_their_secrets(
    client, admin_user, officer, tokens
):
    client.force_login(admin_user)

    page = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()

    for key in [*tokens["mine"], tokens["theirs"]]:
        assert f"{key[:8]}…" in page
        assert key not in page
    assert "Add API token" not in page


def test_a_bureau_administrator_ends_another_users_token_in_the_admin(client, admin_user, officer, tokens):
    client.force_login(admin_user)
    ended, kept = tokens["mine"]

    response = client.post(
        reverse("admin:accounts_apitoken_delete", args=[hash_token(ended)]), {"post": "yes"}, follow=True
    )

    assert response.status_code == 200
    assert (opens_the_api(ended), opens_the_api(kept), opens_the_api(tokens["theirs"])) == (401, 200, 200)


def test_a_bureau_administrator_ends_several_tokens_at_once_in_the_admin(client, admin_user, tokens):
    client.force_login(admin_user)

    client.post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "delete_selected", "_selected_action": [hash_token(key) for key in tokens["mine"]], "post": "yes"},
    )

    assert_ended(tokens)


@pytest.mark.parametrize("persona", ["staff", "officer", "member", "leader"])
def test_no_other_role_sees_or_ends_anyones_token_in_the_admin(request, client, persona, admin_user):
    client.force_login(request.getfixturevalue(persona))
    key = token_for(admin_user)

    assert client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 403
    assert client.get(reverse("admin:accounts_apitoken_change", args=[hash_token(key)])).status_code == 403
    response = client.post(reverse("admin:accounts_apitoken_delete", args=[hash_token(key)]), {"post": "yes"})
    assert response.status_code == 403
    assert opens_the_api(key) == 200


def test_nobody_adds_or_edits_a_token_in_the_admin(client, admin_user, officer):
    client.force_login(admin_user)
    key = token_for(officer)

    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    change = reverse("admin:accounts_apitoken_change", args=[hash_token(key)])
    assert 'name="expiry"' not in client.get(change).content.decode()
    assert client.post(change, {"expiry_0": "2099-01-01", "expiry_1": "00:00:00"}).status_code == 403


# The old tokens ------------------------------------------------------------------------


def test_the_migration_drops_the_old_plain_text_tokens_and_their_records(db):
    """accounts/migrations/0004: DRF's authtoken table held every token in
    plain text."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("accounts.migrations.0004_api_tokens")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, user_id bigint)")
        cursor.execute("INSERT INTO authtoken_token VALUES ('0123456789abcdef0123456789abcdef01234567', 1)")
        cursor.execute(
            "INSERT INTO django_migrations (app, name, applied) VALUES ('authtoken', '0001_initial', %s)",
            [datetime.datetime(2023, 1, 1, tzinfo=datetime.UTC)],
        )
    ContentType.objects.create(app_label="authtoken", model="token")

    def execute(sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)

    migration.forget_drf_tokens(apps, types.SimpleNamespace(connection=connection, execute=execute))

    assert "authtoken_token" not in connection.introspection.table_names()
    assert not ContentType.objects.filter(app_label="authtoken").exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM django_migrations WHERE app = 'authtoken'")
        assert cursor.fetchone() == (0,)
