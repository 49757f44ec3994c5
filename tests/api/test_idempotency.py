"""``Idempotency-Key`` on the API's writes (issue 16): the phone's queue
sends each change with a key, and a retry after a lost answer is answered
from the store instead of applying the change twice.

Written out literally: the same key and request twice → one change and
the same answer; the same key with another request → 422 and nothing; a
refused change keeps no key; keys are per user; expired keys are removed
by the daily job; two requests with one key at once on PostgreSQL → one
change."""

import datetime
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from PIL import Image

from tests.api.helpers import png_bytes, url
from tests.factories import WellFactory
from tests.tokens import token_for
from wells.choices import Status
from wells.idempotency import clear_expired
from wells.models import Attachment, IdempotentRequest, Inspection, WellChange, WellEvent

KEY = "5f0c2f4e-6b1d-4d8e-9a57-1c2b3d4e5f60"


def transition(api, user, well, body, key=KEY):
    return api(user).post(url("well-transitions", code=well.code), body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_transition_sent_twice_with_one_key_is_applied_once_and_answered_alike(api, officer, well, notice):
    body = {"action": "notify", "version": well.version, **notice}

    first = transition(api, officer, well, body)
    again = transition(api, officer, well, body)

    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert again["Idempotency-Replayed"] == "true"
    assert WellEvent.objects.filter(well=well).count() == 1
    well.refresh_from_db()
    assert (well.status, well.version) == (Status.NOTIFIED, 2)


def test_the_same_key_with_another_request_is_refused_and_changes_nothing(api, officer, well, notice):
    transition(api, officer, well, {"action": "notify", "version": well.version, **notice})

    other = transition(api, officer, well, {"action": "disconnect", "version": 2, "disconnected_on": "2023-06-10"})

    assert other.status_code == 422
    assert "already used for another request" in other.json()["detail"]
    well.refresh_from_db()
    assert well.status == Status.NOTIFIED
    assert WellEvent.objects.filter(well=well).count() == 1


def test_a_refused_change_keeps_no_key_and_may_be_sent_again(api, officer, well, notice):
    stale = transition(api, officer, well, {"action": "notify", "version": well.version + 5, **notice})
    assert stale.status_code == 409
    assert not IdempotentRequest.objects.exists()

    corrected = transition(api, officer, well, {"action": "notify", "version": well.version, **notice})

    assert corrected.status_code == 200
    assert WellEvent.objects.filter(well=well).count() == 1


def test_keys_are_each_users_own(api, officer, staff, well, notice):
    transition(api, officer, well, {"action": "notify", "version": 1, **notice})

    theirs = transition(api, staff, well, {"action": "disconnect", "version": 2, "disconnected_on": "2023-06-10"})

    assert theirs.status_code == 200
    assert WellEvent.objects.filter(well=well).count() == 2


@pytest.mark.parametrize("key", ["short", "a" * 101, "has space in it", "ключ-ключ-ключ"])
def test_a_malformed_key_is_refused_before_anything_is_done(api, officer, well, notice, key):
    response = transition(api, officer, well, {"action": "notify", "version": 1, **notice}, key=key)

    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not WellEvent.objects.exists()


def test_without_a_key_every_request_is_its_own(api, officer, well, notice):
    client = api(officer)
    body = {"action": "notify", "version": 1, **notice}
    assert client.post(url("well-transitions", code=well.code), body, format="json").status_code == 200
    assert client.post(url("well-transitions", code=well.code), body, format="json").status_code == 409


def test_an_upload_sent_twice_with_one_key_is_stored_once(api, officer, well):
    def send():
        upload = SimpleUploadedFile("现场.png", png_bytes(), content_type="image/png")
        return api(officer).post(
            url("well-attachments", code=well.code),
            {"kind": "photo", "file": upload},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY=KEY,
        )

    first, again = send(), send()

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["id"] == first.json()["id"]
    assert Attachment.objects.filter(well=well).count() == 1


def test_an_upload_with_another_file_under_the_same_key_is_refused(api, officer, well):
    client = api(officer)
    path = url("well-attachments", code=well.code)
    png = SimpleUploadedFile("a.png", png_bytes(), content_type="image/png")
    client.post(path, {"kind": "photo", "file": png}, format="multipart", HTTP_IDEMPOTENCY_KEY=KEY)
    jpeg = io.BytesIO()
    Image.new("RGB", (8, 8)).save(jpeg, format="JPEG")
    other = SimpleUploadedFile("b.jpg", jpeg.getvalue(), content_type="image/jpeg")

    response = client.post(path, {"kind": "photo", "file": other}, format="multipart", HTTP_IDEMPOTENCY_KEY=KEY)

    assert response.status_code == 422
    assert Attachment.objects.filter(well=well).count() == 1


def test_an_inspection_and_a_facts_change_sent_twice_are_recorded_once(api, officer, well):
    client = api(officer)
    inspection = {"well": well.code, "inspected_on": "2023-06-14", "result": "intact", "version": well.version}
    first = client.post(url("inspection-list"), inspection, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    again = client.post(url("inspection-list"), inspection, format="json", HTTP_IDEMPOTENCY_KEY=KEY)
    assert (first.status_code, again.status_code, again.json()["id"]) == (201, 201, first.json()["id"])
    assert Inspection.objects.filter(well=well).count() == 1

    facts = {"responsible_person": "王五", "version": 2}
    other_key = KEY.replace("5f0c", "6a1d")
    path = url("well-detail", code=well.code)
    assert client.patch(path, facts, format="json", HTTP_IDEMPOTENCY_KEY=other_key).status_code == 200
    assert client.patch(path, facts, format="json", HTTP_IDEMPOTENCY_KEY=other_key).status_code == 200
    assert WellChange.objects.filter(well=well, kind="facts").count() == 1
    well.refresh_from_db()
    assert (well.responsible_person, well.version) == ("王五", 3)


def test_keys_older_than_seven_days_are_removed_by_the_daily_job(api, officer, well, notice, clock):
    transition(api, officer, well, {"action": "notify", "version": 1, **notice})
    clock.move_to(datetime.datetime(2023, 6, 21, 10, 0, tzinfo=datetime.UTC))
    assert clear_expired() == 0
    clock.move_to(datetime.datetime(2023, 6, 22, 10, 1, tzinfo=datetime.UTC))

    call_command("run_daily_jobs", stdout=io.StringIO())

    assert not IdempotentRequest.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite writes one transaction at a time")
@pytest.mark.django_db(transaction=True)
def test_two_sends_of_one_change_at_once_apply_it_once(api, zhongshan, campaign, officer, notice):
    from rest_framework.test import APIClient

    well = WellFactory(township=zhongshan, campaign=campaign)
    token = token_for(officer)
    start = threading.Barrier(4)

    def send():
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            start.wait(timeout=30)
            return client.post(
                url("well-transitions", code=well.code),
                {"action": "notify", "version": 1, **notice},
                format="json",
                HTTP_IDEMPOTENCY_KEY=KEY,
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        responses = list(pool.map(lambda _i: send(), range(4)))

    assert [response.status_code for response in responses] == [200] * 4
    assert len({response.content for response in responses}) == 1
    assert WellEvent.objects.filter(well=well).count() == 1
