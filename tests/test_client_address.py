"""The sign-in lockout knows a client by an address the client cannot
choose. Reached directly (``TRUSTED_PROXY_COUNT=0``) it is the
connection's address and X-Forwarded-For counts for nothing; behind N
trusted proxies it is the address the outermost proxy saw (the Nth entry of
X-Forwarded-For from the right), never an entry the client wrote in front
of it; and the header counts only on a connection from a trusted proxy
(``TRUSTED_PROXY_ADDRESSES``), so going around the proxy does not help.

The attack these replay: twelve wrong passwords, each with another
X-Forwarded-For, then the right one."""

import ipaddress

import pytest
from axes.models import AccessAttempt
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from rest_framework.test import APIClient

from tests.test_production_settings import manage, settings_under
from wellclosure.env import env_networks

pytestmark = pytest.mark.usefixtures("clock")

PASSWORD = "test-pass-2022"
PROXY = "127.0.0.1"  # the bureau's nginx, on gunicorn's machine
CLIENT = "203.0.113.7"


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def direct(settings):
    settings.TRUSTED_PROXY_COUNT = 0


@pytest.fixture
def behind_one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def log_in(client, username, password, remote, forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **headers)


def rotate(count):
    """As many different made-up addresses."""
    return [f"198.51.100.{n}" for n in range(1, count + 1)]


def locked_addresses(username):
    return set(AccessAttempt.objects.filter(username=username).values_list("ip_address", flat=True))


# Reached directly ---------------------------------------------------------------------


@pytest.mark.usefixtures("direct")
def test_reached_directly_a_rotating_forwarded_header_does_not_escape_the_lock(client, officer):
    statuses = [log_in(client, officer.username, "wrong", CLIENT, forged).status_code for forged in rotate(12)]

    right = log_in(client, officer.username, PASSWORD, CLIENT, "192.0.2.99")

    assert statuses == [200] * 4 + [429] * 8
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    assert locked_addresses(officer.username) == {CLIENT}


@pytest.mark.usefixtures("direct")
def test_reached_directly_the_token_endpoint_ignores_the_header_too(officer):
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=CLIENT)
    token = reverse("api:auth-token")
    for forged in rotate(12):
        api.post(token, {"username": officer.username, "password": "wrong"}, HTTP_X_FORWARDED_FOR=forged)

    right = api.post(token, {"username": officer.username, "password": PASSWORD}, HTTP_X_FORWARDED_FOR="192.0.2.99")

    assert right.status_code == 429
    assert locked_addresses(officer.username) == {CLIENT}


# Behind the bureau's proxy --------------------------------------------------------------


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_one_proxy_the_address_the_proxy_appended_is_the_clients(client, officer):
    for _ in range(5):
        log_in(client, officer.username, "wrong", PROXY, CLIENT)

    assert log_in(client, officer.username, PASSWORD, PROXY, CLIENT).status_code == 429
    assert locked_addresses(officer.username) == {CLIENT}
    # Someone else through the same proxy is not locked out.
    assert log_in(client, officer.username, PASSWORD, PROXY, "203.0.113.8").status_code == 302


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_one_proxy_entries_the_client_forged_in_front_are_ignored(client, officer):
    # nginx appends the address it was reached from to what the client sent.
    statuses = [
        log_in(client, officer.username, "wrong", PROXY, f"{forged}, {CLIENT}").status_code for forged in rotate(12)
    ]

    right = log_in(client, officer.username, PASSWORD, PROXY, f"192.0.2.99, {CLIENT}")

    assert statuses == [200] * 4 + [429] * 8
    assert right.status_code == 429
    assert locked_addresses(officer.username) == {CLIENT}


@pytest.mark.usefixtures("behind_one_proxy")
def test_behind_one_proxy_a_connection_around_it_is_known_by_its_own_address(client, officer):
    around = "192.0.2.50"  # not a trusted proxy: someone reaching gunicorn directly

    statuses = [log_in(client, officer.username, "wrong", around, forged).status_code for forged in rotate(12)]

    assert statuses == [200] * 4 + [429] * 8
    assert log_in(client, officer.username, PASSWORD, around, "192.0.2.99").status_code == 429
    assert locked_addresses(officer.username) == {around}


def test_behind_two_proxies_the_second_entry_from_the_right_is_the_clients(client, officer, settings):
    settings.TRUSTED_PROXY_COUNT = 2
    outer = "10.20.0.5"  # the city network's gateway, in front of the bureau's nginx

    for forged in rotate(5):
        log_in(client, officer.username, "wrong", PROXY, f"{forged}, {CLIENT}, {outer}")

    assert log_in(client, officer.username, PASSWORD, PROXY, f"192.0.2.99, {CLIENT}, {outer}").status_code == 429
    assert locked_addresses(officer.username) == {CLIENT}


def test_the_trusted_proxy_addresses_may_be_a_network(client, officer, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_ADDRESSES = [ipaddress.ip_network("10.0.0.0/24")]

    for _ in range(5):
        log_in(client, officer.username, "wrong", "10.0.0.7", CLIENT)

    assert locked_addresses(officer.username) == {CLIENT}


# The settings --------------------------------------------------------------------------


def test_without_a_proxy_no_forwarded_header_is_believed():
    assert settings_under(["TRUSTED_PROXY_COUNT", "SECURE_PROXY_SSL_HEADER"]) == {
        "TRUSTED_PROXY_COUNT": "0",
        "SECURE_PROXY_SSL_HEADER": "None",
    }


def test_behind_a_proxy_its_https_header_is_believed_too():
    values = settings_under(
        ["TRUSTED_PROXY_COUNT", "TRUSTED_PROXY_ADDRESSES", "SECURE_PROXY_SSL_HEADER"],
        TRUSTED_PROXY_COUNT="1",
        TRUSTED_PROXY_ADDRESSES="10.0.0.2, 10.1.0.0/16",
    )

    assert values == {
        "TRUSTED_PROXY_COUNT": "1",
        "TRUSTED_PROXY_ADDRESSES": "[IPv4Network('10.0.0.2/32'), IPv4Network('10.1.0.0/16')]",
        "SECURE_PROXY_SSL_HEADER": "('HTTP_X_FORWARDED_PROTO', 'https')",
    }


def test_the_old_behind_proxy_setting_stops_the_start_with_what_replaced_it():
    result = manage("check", BEHIND_PROXY="true")

    assert result.returncode != 0
    assert "BEHIND_PROXY is no longer read: set TRUSTED_PROXY_COUNT=1" in result.stderr


def test_a_trusted_proxy_address_that_is_no_address_stops_the_start(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_ADDRESSES", "127.0.0.1, nginx.local")

    with pytest.raises(ImproperlyConfigured, match="'127.0.0.1,nginx.local' is not a list of IP addresses"):
        env_networks("TRUSTED_PROXY_ADDRESSES", [])
