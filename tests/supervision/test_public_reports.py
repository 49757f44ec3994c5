"""The public's reports (DESIGN §8): without signing in, from a well's QR
page or the report page; each becomes a ticket; the tracking number shows
the state and the public reply and nothing about the reporter; abuse is
bounded by a per-address limit (429), size limits and a honeypot."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from supervision.choices import TicketSource, TicketState
from supervision.models import SupervisionFile, Ticket
from supervision.workflow import perform
from tests.api.helpers import png_bytes, url
from wells.changes import archive_well

pytestmark = pytest.mark.usefixtures("clock")

PHONE = "13912345678"


def report(*, address="203.0.113.7", photos=(), HTTP_X_FORWARDED_FOR=None, **fields):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    body = {"description": "井房里有人抽水", "lat": "44.030000", "lng": "87.280000", **fields}
    if photos:
        body["photo"] = list(photos)
    headers = {"HTTP_X_FORWARDED_FOR": HTTP_X_FORWARDED_FOR} if HTTP_X_FORWARDED_FOR else {}
    return client.post(url("public-report"), body, format="multipart", REMOTE_ADDR=address, **headers)


def png(name="现场.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def test_a_report_without_sign_in_becomes_a_ticket_with_its_photos(db):
    response = report(photos=[png(), png("二.png")], phone=PHONE)

    assert response.status_code == 201, response.json()
    ticket = Ticket.objects.get(tracking=response.json()["tracking"])
    assert (ticket.source, ticket.state, ticket.reporter_phone) == (TicketSource.PUBLIC, TicketState.REPORTED, PHONE)
    assert SupervisionFile.objects.filter(ticket=ticket).count() == 2
    assert ticket.events.get().action == "open"


def test_a_report_from_a_well_names_the_well_and_needs_no_position(well):
    response = report(lat="", lng="", well=well.code)
    assert response.status_code == 201, response.json()
    assert Ticket.objects.get().well == well


def test_the_tracking_answer_holds_the_state_and_the_reply_and_nothing_about_the_reporter(db, staff):
    tracking = report(phone=PHONE).json()["tracking"]
    ticket = Ticket.objects.get(tracking=tracking)
    perform(ticket, "reply", actor=staff, data={"reply": "已转乡镇核查", "note": "内部：疑似张某"}, version=1)

    answer = APIClient().get(url("public-report-status", tracking=tracking))
    page = APIClient().get(reverse("supervision:public-tracking", args=[tracking]))

    assert answer.status_code == 200
    assert set(answer.json()) == {"state", "reply", "created_at"}
    assert (answer.json()["state"], answer.json()["reply"]) == ("reported", "已转乡镇核查")
    text = page.content.decode()
    assert "已转乡镇核查" in text
    for secret in (PHONE, "内部：疑似张某", "203.0.113.7", "井房里有人抽水", str(staff)):
        assert secret not in text and secret not in answer.content.decode()


def test_an_unknown_tracking_number_is_not_found(db):
    assert APIClient().get(url("public-report-status", tracking="JBNOSUCHONE2")).status_code == 404
    assert APIClient().get(reverse("supervision:public-tracking", args=["JBNOSUCHONE2"])).status_code == 404


def test_the_address_limit_answers_429_and_another_address_may_still_report(db, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 3
    statuses = [report().status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert "at most 3 an hour" in report().json()["detail"]
    assert report(address="198.51.100.1").status_code == 201
    assert Ticket.objects.count() == 4


def test_a_forged_forwarded_header_does_not_escape_the_limit(db, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 2
    statuses = [report(address="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code for n in range(3)]
    assert statuses == [201, 201, 429]


def test_the_limit_is_an_hour(db, settings, clock):
    settings.PUBLIC_REPORTS_PER_HOUR = 1
    assert report().status_code == 201
    assert report().status_code == 429
    clock.shift(3601)
    assert report().status_code == 201


def test_the_honeypot_refuses_and_keeps_nothing(db):
    response = report(website="http://spam.example", photos=[png()])
    assert response.status_code == 400
    assert not Ticket.objects.exists() and not SupervisionFile.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"description": "a\x07b"}, "description"),
        ({"lat": "", "lng": ""}, "lat"),
        ({"lat": "12.0"}, "lat"),
        ({"lng": "abc"}, "lng"),
        ({"phone": "call me"}, "phone"),
        ({"well": "NO-SUCH-WELL"}, "well"),
    ],
)
def test_bad_reports_are_refused_by_field_and_keep_nothing(db, fields, field):
    response = report(**fields)
    assert response.status_code == 400
    body = response.json()
    assert body.get("field") == field or field in body
    assert not Ticket.objects.exists()


def test_too_many_or_too_large_photos_and_non_photos_are_refused(db, settings):
    settings.PUBLIC_REPORT_MAX_PHOTOS = 2
    assert report(photos=[png(), png(), png()]).status_code == 400
    settings.PUBLIC_REPORT_MAX_PHOTO_BYTES = 10
    assert report(photos=[png()]).status_code == 400
    settings.PUBLIC_REPORT_MAX_PHOTO_BYTES = 5 * 1024 * 1024
    pdf = SimpleUploadedFile("x.pdf", b"%PDF-1.4 hello", content_type="application/pdf")
    assert report(photos=[pdf]).status_code == 400
    assert not Ticket.objects.exists() and not SupervisionFile.objects.exists()


def test_the_wells_public_page_shows_its_code_and_public_state_only(client, well):
    response = client.get(reverse("supervision:public-well", args=[well.code]))
    text = response.content.decode()
    assert response.status_code == 200
    assert well.code in text
    for private in (well.owner_name, well.responsible_person, well.meter_no):
        assert private not in text
    assert reverse("supervision:public-report") + f"?well={well.code}" in text


def test_the_label_s_qr_code_opens_the_public_page(client, staff, well):
    client.force_login(staff)
    response = client.get(reverse("wells:label", args=[well.code]))
    assert f'data-url="http://testserver/report/well/{well.code}/"' in response.content.decode()


def test_the_report_page_makes_a_ticket_and_sends_the_reporter_to_its_tracking_page(client, well):
    page = client.get(reverse("supervision:public-report") + f"?well={well.code}")
    assert page.status_code == 200
    response = client.post(
        reverse("supervision:public-report"),
        {"description": "晚上听到水泵声", "well": well.code, "lat": "", "lng": "", "photos": [png()]},
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("supervision:public-tracking", args=[ticket.tracking])
    assert ticket.files.count() == 1


def test_the_report_page_answers_429_past_the_limit(client, settings, db):
    settings.PUBLIC_REPORTS_PER_HOUR = 1
    body = {"description": "有人抽水", "lat": "44.03", "lng": "87.28"}
    assert client.post(reverse("supervision:public-report"), body).status_code == 302
    assert client.post(reverse("supervision:public-report"), body).status_code == 429


def test_an_archived_well_has_no_public_page(client, well, staff):
    archive_well(well, actor=staff, reason="重复登记", version=well.version)
    assert client.get(reverse("supervision:public-well", args=[well.code])).status_code == 404
