"""The API's test helpers: a client per persona, signed in with a real
token, speaking English so the tests can read the messages; the clock at
2023-06-15 10:00 in Shanghai; uploads in the test's own directory."""

import datetime

import pytest
from django.core.files.storage import FileSystemStorage
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.api.helpers import SHANGHAI
from wells.models import Attachment


@pytest.fixture(autouse=True)
def clock(time_machine):
    time_machine.move_to(datetime.datetime(2023, 6, 15, 10, 0, tzinfo=SHANGHAI))
    return time_machine


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def attachments_in_tmp(tmp_path, monkeypatch):
    """Uploads land in this test's own directory, not in var/attachments."""
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=tmp_path))
    return tmp_path


@pytest.fixture
def api():
    """``api(user)``: a client that sends ``user``'s token; ``api()`` sends
    none."""

    def client_for(user=None):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            token, _created = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for
