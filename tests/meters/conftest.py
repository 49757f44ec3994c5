"""The meter watch's fixtures: wells in the states the watch guards, and a
helper that sends a day of readings through the one door (meters.ingest)."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from meters.ingest import ingest
from tests.factories import WellFactory
from wells.choices import Category, Status, Use

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day, hour=8, minute=0):
    """An ISO time in Shanghai, as the grid company sends it."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), SHANGHAI).isoformat()


@pytest.fixture
def sealed_well(zhongshan, campaign):
    return WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED, meter_no="6501001")


@pytest.fixture
def retained_well(zhongshan, campaign):
    return WellFactory(
        township=zhongshan,
        campaign=campaign,
        status=Status.RETAINED,
        category=Category.RETAINED,
        uses=[Use.EMERGENCY],
        meter_no="6501002",
    )


@pytest.fixture
def send():
    """``send(meter, [(day, hour, kwh)], kind="interval")``: one batch."""

    def batch(meter_no, rows, kind="interval"):
        readings = [{"meter_no": meter_no, "read_at": at(day, hour), "kwh": kwh} for day, hour, kwh in rows]
        return ingest(readings, kind)

    return batch


@pytest.fixture
def api():
    """``api(user)``: an API client with ``user``'s token (English answers)."""
    from rest_framework.test import APIClient

    from tests.tokens import token_for

    def client_for(user=None):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        if user is not None:
            client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return client_for


@pytest.fixture(autouse=True)
def site_language():
    """The site's language for code called outside a request (an earlier
    test's request may leave the thread speaking English)."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield
