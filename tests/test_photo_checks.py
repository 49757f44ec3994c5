"""Photos tell the truth: a JPEG's EXIF position and time are read when it
is uploaded, and a photo taken more than 200 m from the well or on another
day than the seal or inspection it documents is flagged — on the well's
page and in the API's attachment JSON — without refusing anything.

The photos are real JPEGs made with Pillow, carrying EXIF GPS and
DateTimeOriginal tags as a phone writes them. The well lies at 44.010000 N,
87.300000 E; the clock stands at 2023-06-15 10:00 in Shanghai."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from tests.api.helpers import SHANGHAI, png_bytes
from tests.factories import WellFactory
from tests.tokens import token_for
from wells.choices import Status
from wells.models import Attachment
from wells.photos import distance_m, read_photo_facts

pytestmark = pytest.mark.usefixtures("clock")

WELL_LAT, WELL_LNG = 44.01, 87.30
# About 5.6 km north-east of the well.
FAR = (44.05, 87.35)
# About 30 m from the well.
NEAR = (44.01027, 87.30005)


def _dms(value):
    """Decimal degrees as EXIF (degrees, minutes, seconds)."""
    value = abs(value)
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 4)
    return (float(degrees), float(minutes), seconds)


def jpeg(position=None, taken="2023:06:12 09:30:00", *, gps=None):
    """A real 64×48 JPEG as a phone writes it: EXIF GPS latitude and
    longitude with their N/S and E/W references, and DateTimeOriginal."""
    image = Image.new("RGB", (64, 48), (90, 120, 60))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    if taken:
        exif[ExifTags.Base.ExifOffset] = {ExifTags.Base.DateTimeOriginal: taken}
    if position is not None:
        lat, lng = position
        exif[ExifTags.Base.GPSInfo] = {
            ExifTags.GPS.GPSLatitudeRef: "N" if lat >= 0 else "S",
            ExifTags.GPS.GPSLatitude: _dms(lat),
            ExifTags.GPS.GPSLongitudeRef: "E" if lng >= 0 else "W",
            ExifTags.GPS.GPSLongitude: _dms(lng),
        }
    if gps is not None:
        exif[ExifTags.Base.GPSInfo] = gps
    stream = io.BytesIO()
    image.save(stream, format="JPEG", exif=exif)
    return stream.getvalue()


def upload(content, name="封井.jpg"):
    return SimpleUploadedFile(name, content, content_type="image/jpeg")


@pytest.fixture
def api():
    def client_for(user):
        client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
        client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        return client

    return client_for


def attach(api, user, well, content, kind="photo"):
    response = api(user).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": kind, "file": upload(content)},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    return response.json()


# Reading EXIF --------------------------------------------------------------------------


def test_the_position_and_time_a_phone_wrote_are_read():
    facts = read_photo_facts(upload(jpeg(NEAR, "2023:06:12 09:30:00")))

    assert abs(facts.lat - Decimal("44.010270")) < Decimal("0.000002")
    assert abs(facts.lng - Decimal("87.300050")) < Decimal("0.000002")
    assert facts.taken_at == datetime.datetime(2023, 6, 12, 9, 30, tzinfo=SHANGHAI)


def test_southern_and_western_positions_are_negative():
    facts = read_photo_facts(upload(jpeg((-33.8688, -70.6693))))

    assert facts.lat < 0 and facts.lng < 0


@pytest.mark.parametrize(
    "gps",
    [
        {ExifTags.GPS.GPSLatitudeRef: "X", ExifTags.GPS.GPSLatitude: (44.0, 0.0, 0.0)},
        {
            ExifTags.GPS.GPSLatitudeRef: "N",
            ExifTags.GPS.GPSLatitude: (444.0, 0.0, 0.0),
            ExifTags.GPS.GPSLongitudeRef: "E",
            ExifTags.GPS.GPSLongitude: (87.0, 0.0, 0.0),
        },
        {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (44.0, 0.0)},
    ],
    ids=["unknown reference", "beyond the pole", "two numbers"],
)
def test_nonsense_gps_tags_give_no_position(gps):
    facts = read_photo_facts(upload(jpeg(gps=gps)))

    assert (facts.lat, facts.lng) == (None, None)


def test_a_photo_without_exif_or_not_an_image_has_no_facts():
    plain = io.BytesIO()
    Image.new("RGB", (8, 8)).save(plain, format="JPEG")

    assert read_photo_facts(upload(plain.getvalue())).lat is None
    assert read_photo_facts(upload(b"\xff\xd8\xff" + b"garbage" * 10)).taken_at is None


def test_the_haversine_distance_is_right():
    # One degree of latitude is about 111.2 km; the near photo about 30 m.
    assert distance_m(44, 87, 45, 87) == pytest.approx(111_195, rel=0.001)
    assert distance_m(WELL_LAT, WELL_LNG, *NEAR) == pytest.approx(30.4, abs=1)


# Flags on upload ----------------------------------------------------------------------


def test_a_photo_taken_far_from_the_well_is_flagged_not_refused(api, officer, well):
    body = attach(api, officer, well, jpeg(FAR))

    assert "km from the well's recorded location" in body["warning"]
    assert body["exif_lat"] == pytest.approx(44.05, abs=1e-5)
    assert body["exif_lng"] == pytest.approx(87.35, abs=1e-5)
    assert body["exif_taken_at"].startswith("2023-06-12T09:30:00")


def test_a_photo_taken_at_the_well_is_not_flagged(api, officer, well):
    body = attach(api, officer, well, jpeg(NEAR))

    assert body["warning"] == ""


def test_a_photo_without_a_position_is_not_flagged(api, officer, well):
    body = attach(api, officer, well, jpeg(None))

    assert (body["exif_lat"], body["warning"]) == (None, "")


def test_a_well_without_a_location_flags_no_distance(api, officer, zhongshan, campaign):
    unplaced = WellFactory(township=zhongshan, campaign=campaign, lat=None, lng=None)

    assert attach(api, officer, unplaced, jpeg(FAR))["warning"] == ""


def test_a_png_is_stored_without_exif_checks(api, officer, well):
    body = attach(api, officer, well, png_bytes())

    assert (body["exif_lat"], body["exif_taken_at"], body["warning"]) == (None, None, "")


# Flags against the action's date -----------------------------------------------------------


@pytest.fixture
def disconnected(zhongshan, campaign):
    return WellFactory(township=zhongshan, campaign=campaign, status=Status.DISCONNECTED)


def seal(api, user, well, photo_id, sealed_on):
    return api(user).post(
        reverse("api:well-transitions", kwargs={"code": well.code}),
        {
            "action": "seal",
            "version": well.version,
            "sealed_on": sealed_on,
            "method": "黏土回填",
            "attachments": [photo_id],
        },
        format="json",
    )


def test_a_seal_photo_taken_on_another_day_is_flagged_and_the_seal_stands(api, officer, disconnected):
    photo = attach(api, officer, disconnected, jpeg(NEAR, "2023:06:10 16:00:00"))

    response = seal(api, officer, disconnected, photo["id"], "2023-06-12")

    assert response.status_code == 200
    assert response.json()["status"] == Status.SEALED
    (attachment,) = response.json()["attachments"]
    assert attachment["warning"] == "Taken on 2023-06-10, not on the day it documents (2023-06-12)."


def test_a_seal_photo_taken_that_day_at_the_well_is_not_flagged(api, officer, disconnected):
    photo = attach(api, officer, disconnected, jpeg(NEAR, "2023:06:12 08:15:00"))

    response = seal(api, officer, disconnected, photo["id"], "2023-06-12")

    assert response.json()["attachments"][0]["warning"] == ""


def test_a_seal_photo_far_away_and_on_another_day_says_both(api, officer, disconnected):
    photo = attach(api, officer, disconnected, jpeg(FAR, "2023:06:01 12:00:00"))

    seal(api, officer, disconnected, photo["id"], "2023-06-12")

    warning = Attachment.objects.get(pk=photo["id"]).warning
    assert "km from the well's recorded location" in warning
    assert "Taken on 2023-06-01" in warning


def test_an_inspection_photo_taken_on_another_day_is_flagged(client, officer, well):
    client.force_login(officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    response = client.post(
        reverse("wells:inspection", args=[well.code]),
        {
            "inspected_on": "2023-06-14",
            "result": "intact",
            "photos": upload(jpeg(NEAR, "2023:06:13 10:00:00")),
            "version": well.version,
        },
    )

    assert response.status_code == 302
    attachment = Attachment.objects.get(inspection__well=well)
    assert attachment.warning == "Taken on 2023-06-13, not on the day it documents (2023-06-14)."


def test_the_well_page_shows_the_warnings(client, api, officer, well):
    attach(api, officer, well, jpeg(FAR))
    client.force_login(officer)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    page = client.get(reverse("wells:well", args=[well.code])).content.decode()

    assert 'data-testid="photo-warnings"' in page
    assert 'data-testid="attachment-warning"' in page
    assert "km from the well&#x27;s recorded location" in page


# What the phone read before shrinking (issue 16) ---------------------------------------
#
# Drawing a photo to a canvas to shrink it drops its EXIF; the phone reads
# the position and time first and sends them as exif_lat, exif_lng and
# exif_taken_at. They stand for what the stored file no longer says.


def attach_claiming(api, user, well, content, **claims):
    return api(user).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": upload(content), **claims},
        format="multipart",
    )


def plain_jpeg():
    stream = io.BytesIO()
    Image.new("RGB", (32, 24), (10, 20, 30)).save(stream, format="JPEG")
    return stream.getvalue()


def test_a_shrunk_photo_is_checked_by_the_position_and_time_the_phone_read(api, officer, well):
    response = attach_claiming(
        api, officer, well, plain_jpeg(), exif_lat="44.05", exif_lng="87.35", exif_taken_at="2023-06-12T09:30:00"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert "km from the well's recorded location" in body["warning"]
    assert (body["exif_lat"], body["exif_lng"]) == (pytest.approx(44.05), pytest.approx(87.35))
    assert body["exif_taken_at"].startswith("2023-06-12T09:30:00+08:00")


def test_a_photo_that_keeps_its_exif_is_checked_by_its_own(api, officer, well):
    response = attach_claiming(api, officer, well, jpeg(NEAR), exif_lat="44.05", exif_lng="87.35")

    body = response.json()
    assert body["warning"] == ""
    assert body["exif_lat"] == pytest.approx(44.01027, abs=1e-5)


@pytest.mark.parametrize(
    ("claims", "field"),
    [
        ({"exif_lat": "44.05"}, "exif_lng"),
        ({"exif_lat": "144.05", "exif_lng": "87.35"}, "exif_lat"),
        ({"exif_lat": "44.05", "exif_lng": "nan"}, "exif_lng"),
        ({"exif_taken_at": "2023-06-16T09:30:00"}, "exif_taken_at"),
        ({"exif_taken_at": "1066-10-14T09:30:00"}, "exif_taken_at"),
        ({"exif_taken_at": "yesterday"}, "exif_taken_at"),
    ],
    ids=["latitude alone", "off the globe", "not a number", "in the future", "before the ledger", "not a time"],
)
def test_nonsense_claims_are_refused_naming_the_field_and_store_nothing(api, officer, well, claims, field):
    response = attach_claiming(api, officer, well, plain_jpeg(), **claims)

    assert response.status_code == 400
    assert field in response.json()
    assert not Attachment.objects.exists()


def test_the_upload_page_takes_what_the_phone_read(client, officer, well):
    client.force_login(officer)

    response = client.post(
        reverse("wells:upload", args=[well.code]),
        {"kind": "photo", "file": upload(plain_jpeg()), "exif_lat": "44.0101", "exif_lng": "87.3001"},
    )

    assert response.status_code == 302
    photo = Attachment.objects.get(well=well)
    assert (photo.exif_lat, photo.exif_lng, photo.warning) == (Decimal("44.010100"), Decimal("87.300100"), "")
