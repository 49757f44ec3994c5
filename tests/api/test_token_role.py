"""Token authentication reads the token, its user and their role in one
query (accounts.authentication), and the role it reads is User.role's."""

import pytest
from django.contrib.auth.models import Group
from django.utils import translation
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from accounts.authentication import TokenAuthentication
from accounts.choices import Role
from accounts.models import User
from tests.api.helpers import url
from tests.factories import UserFactory
from tests.tokens import token_for


def authenticate(user):
    return TokenAuthentication().authenticate_credentials(token_for(user))


@pytest.mark.parametrize(
    ("persona", "role"),
    [
        ("admin_user", Role.BUREAU_ADMIN),
        ("staff", Role.BUREAU_STAFF),
        ("officer", Role.TOWNSHIP_OFFICER),
        ("member", Role.UNIT_MEMBER),
        ("leader", Role.LEADER),
    ],
)
def test_the_token_brings_the_users_role_in_one_query(request, persona, role, django_assert_num_queries):
    user = request.getfixturevalue(persona)
    key = token_for(user)
    token_for(user)  # another token of theirs, which the query leaves alone

    # The token by its token_key, with its user and the user's groups.
    with django_assert_num_queries(1):
        found, token = TokenAuthentication().authenticate_credentials(key)
        found_role = found.role

    assert (found, token.digest, token.token_key, token.user) == (user, hash_token(key), key[:15], user)
    assert token.expiry == AuthToken.objects.get(digest=hash_token(key)).expiry
    assert found_role == User.objects.get(pk=user.pk).role == role


def test_a_request_with_a_token_spends_one_query_on_signing_in(officer, django_assert_num_queries):
    """From the Authorization header on, as DRF calls it."""
    request = APIRequestFactory().get("/api/v1/units/", HTTP_AUTHORIZATION=f"Token {token_for(officer)}")

    with django_assert_num_queries(1):
        found, _token = TokenAuthentication().authenticate(request)
        assert found.role == Role.TOWNSHIP_OFFICER


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        ([Role.LEADER, Role.TOWNSHIP_OFFICER], Role.TOWNSHIP_OFFICER),
        ([Role.LEADER, Role.BUREAU_STAFF], Role.BUREAU_STAFF),
        ([Role.UNIT_MEMBER, Role.BUREAU_ADMIN, Role.LEADER], Role.BUREAU_ADMIN),
        (["auditors"], None),
        ([], None),
    ],
    ids=["officer-over-leader", "staff-over-leader", "admin-over-all", "no-role-group", "no-group"],
)
def test_of_several_groups_the_most_powerful_role_wins(db, groups, role):
    user = UserFactory(username="many_hats")
    for name in groups:
        user.groups.add(Group.objects.get_or_create(name=name)[0])

    found, _token = authenticate(user)

    assert found.role == role
    assert User.objects.get(pk=user.pk).role == role


def test_a_superuser_is_bureau_admin_without_any_group(db):
    found, _token = authenticate(UserFactory(username="root", is_superuser=True))

    assert found.role == Role.BUREAU_ADMIN


def test_the_token_of_an_inactive_user_is_refused(officer):
    officer.is_active = False
    officer.save()

    with translation.override("en"), pytest.raises(AuthenticationFailed, match="User inactive or deleted."):
        authenticate(officer)


def test_an_unknown_token_is_refused(db):
    with translation.override("en"), pytest.raises(AuthenticationFailed, match="Invalid token."):
        TokenAuthentication().authenticate_credentials("0" * 64)


def test_a_key_no_token_can_have_is_refused_without_a_query(db, django_assert_num_queries):
    with django_assert_num_queries(0), pytest.raises(AuthenticationFailed):
        TokenAuthentication().authenticate_credentials("0" * 40)


def test_a_key_that_shares_the_first_15_characters_of_a_token_is_refused(officer):
    key = token_for(officer)
    forged = key[:15] + ("0" if key[15] != "0" else "1") + key[16:]

    with translation.override("en"), pytest.raises(AuthenticationFailed, match="Invalid token."):
        TokenAuthentication().authenticate_credentials(forged)


def test_a_leader_who_is_also_an_officer_lists_only_their_units_wells(api, officer, well, other_well):
    officer.groups.add(Group.objects.get(name=Role.LEADER))

    response = api(officer).get(url("well-list"))

    assert [row["code"] for row in response.json()["results"]] == [well.code]


def test_a_user_without_a_role_lists_no_well(api, well):
    response = api(UserFactory(username="no_role")).get(url("well-list"))

    assert response.status_code == 200
    assert response.json()["results"] == []
