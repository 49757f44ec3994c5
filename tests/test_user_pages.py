"""A bureau administrator manages people on the site's own pages: creates
an account with one role (by its Chinese name) and a unit, resets a
password (shown once), unlocks a locked sign-in, deactivates an account;
every change is in the account's history."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate

from accounts.choices import Role
from accounts.models import User, UserChange, UserChangeKind

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    return client


def shown_password(response):
    return re.search(r'data-testid="shown-password">([^<]+)<', response.content.decode()).group(1)


def test_the_administrator_creates_an_officer_with_one_chinese_role_and_a_unit(client, admin_user, zhongshan_unit):
    client.force_login(admin_user)
    form = client.get("/accounts/users/new/").content.decode()
    assert "乡镇（街道）专干" in form and ">township_officer<" not in form

    response = client.post(
        "/accounts/users/new/",
        {"username": "laowang", "display_name": "王专干", "role": Role.TOWNSHIP_OFFICER, "unit": zhongshan_unit.pk},
    )

    assert response.status_code == 200
    password = shown_password(response)
    user = User.objects.get(username="laowang")
    assert (user.role, user.unit, user.display_name) == (Role.TOWNSHIP_OFFICER, zhongshan_unit, "王专干")
    assert authenticate(username="laowang", password=password) == user
    change = UserChange.objects.get(user=user)
    assert (change.kind, change.actor, change.changes["role"]) == (
        UserChangeKind.CREATE,
        admin_user,
        ["", Role.TOWNSHIP_OFFICER],
    )
    # Shown once: the account's page never shows it again.
    assert password not in client.get(f"/accounts/users/{user.pk}/").content.decode()


def test_an_officer_without_a_unit_is_refused_with_the_reason(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        "/accounts/users/new/", {"username": "nounit", "display_name": "无单位", "role": Role.TOWNSHIP_OFFICER}
    )
    assert response.status_code == 400
    assert 'data-field="unit"' in response.content.decode()
    assert not User.objects.filter(username="nounit").exists()


def test_the_administrator_resets_a_password_shown_once(client, admin_user, officer):
    client.force_login(admin_user)
    response = client.post(f"/accounts/users/{officer.pk}/password/")
    password = shown_password(response)
    assert authenticate(username=officer.username, password=password) is not None
    assert UserChange.objects.filter(user=officer, kind=UserChangeKind.PASSWORD).count() == 1
    assert password not in str(UserChange.objects.get(user=officer).changes)


def test_the_administrator_unlocks_a_locked_account(client, admin_user, officer, settings):
    AccessAttempt.objects.create(
        username=officer.username,
        ip_address="10.0.0.8",
        user_agent="phone",
        path_info="/accounts/login/",
        get_data="",
        post_data="",
        failures_since_start=settings.AXES_FAILURE_LIMIT,
    )
    client.force_login(admin_user)
    assert 'data-testid="locked"' in client.get("/accounts/users/").content.decode()

    response = client.post(f"/accounts/users/{officer.pk}/unlock/")

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=officer.username).exists()
    assert UserChange.objects.get(user=officer).kind == UserChangeKind.UNLOCK
    assert 'data-testid="locked"' not in client.get("/accounts/users/").content.decode()


def test_the_administrator_deactivates_and_reactivates_but_never_themselves(client, admin_user, officer):
    client.force_login(admin_user)
    client.post(f"/accounts/users/{officer.pk}/active/", {"active": "0"})
    officer.refresh_from_db()
    assert not officer.is_active
    client.post(f"/accounts/users/{officer.pk}/active/", {"active": "1"})
    officer.refresh_from_db()
    assert officer.is_active
    assert list(UserChange.objects.filter(user=officer).order_by("pk").values_list("kind", flat=True)) == [
        UserChangeKind.DEACTIVATE,
        UserChangeKind.ACTIVATE,
    ]
    client.post(f"/accounts/users/{admin_user.pk}/active/", {"active": "0"})
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_a_changed_role_and_unit_show_in_the_accounts_history_in_chinese(client, admin_user, officer, grid_unit):
    client.force_login(admin_user)
    response = client.post(
        f"/accounts/users/{officer.pk}/",
        {"display_name": "供电专员", "role": Role.UNIT_MEMBER, "unit": grid_unit.pk, "email": ""},
    )
    assert response.status_code == 302
    officer = User.objects.get(pk=officer.pk)
    assert (officer.role, officer.unit) == (Role.UNIT_MEMBER, grid_unit)
    page = client.get(f"/accounts/users/{officer.pk}/").content.decode()
    assert "乡镇（街道）专干</del> → <ins>成员单位" in page
    assert grid_unit.name in page


@pytest.mark.parametrize("persona", ["staff", "officer", "member", "leader"])
def test_only_the_administrator_reaches_the_user_pages(client, request, persona, officer):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/accounts/users/").status_code == 403
    assert client.post(f"/accounts/users/{officer.pk}/password/").status_code == 403
