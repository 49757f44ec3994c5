"""The API's test helpers: a client per persona, signed in with a real
token, speaking English so the tests can read the messages; every API test
runs at the shared clock's 2023-06-15 10:00 in Shanghai."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from accounts.choices import Role
from accounts.models import Unit, User
from tests.factories import UserFactory
from tests.tokens import token_for


@pytest.fixture(autouse=True)
def clock(clock):
    """The shared clock (tests/conftest.py), for every test of the API."""
    return clock


@pytest.fixture
def api():
    """``api(user)``: a client that sends ``user``'s token; ``api()`` sends
    none."""

    def client_for(user=None):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return client_for


@pytest.fixture
def demo(db):
    """The Changji 2022 demo, its duties and tasks."""
    call_command("load_demo")


def user_of(unit_name, role, username):
    return UserFactory(username=username, unit=Unit.objects.get(name=unit_name), role=role, email=f"{username}@x.cn")


@pytest.fixture
def people(demo):
    """The demo's people, plus one person for each member unit that owns a step."""
    users = {name: User.objects.get(username=name) for name in ["admin", "staff", "zhongshan", "ningbian", "grid"]}
    users["water"] = user_of("市清源水务有限责任公司", Role.UNIT_MEMBER, "qingyuan")
    users["backfill"] = user_of("市经济发展投资有限责任公司", Role.UNIT_MEMBER, "backfill")
    return users
