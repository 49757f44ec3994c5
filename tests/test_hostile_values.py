"""Hostile values never break a well (issue 14, points 1 and 2): a value that
enters by any way — a form, JSON, a file's metadata or its name — is checked
at the door, and one user's hostile value never makes a page fail for
everyone else.

- A photo whose EXIF moment lies outside the years a datetime can hold in
  UTC (9999-12-31 23:59:59 at -14:00) is stored without that moment; its
  well answers as before.
- An image claiming huge dimensions (a 1.8 KB PNG of 60000×60000 pixels) is
  refused before anything decodes it, and nothing is kept.
- A control character (C0, DEL or C1 but tab and newline) in any text of a
  well, of an action or of a reason is refused on its field; in a file's
  name it is dropped.
- What was stored before these checks is mended by the data migration, and
  the Word documents never fail on a stored value.

Each test ends with :func:`answers_for_everyone`: the well's API detail, a
PATCH, its admin page, the admin's attachment list, its notice and
acceptance form and the work report all answer 200 afterwards."""

import datetime
import importlib
import io
import json
import logging
import struct
import warnings
import zlib

import docx
import pytest
from django.apps import apps as global_apps
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from PIL import ExifTags, Image
from rest_framework.test import APIClient

from accounts.models import Unit, User
from tests.api.helpers import png_bytes
from tests.factories import WellFactory
from tests.test_admin import change_form_data
from wellclosure.validators import check_date, check_text, clean_file_name, printable
from wells.choices import ACTION_FIELDS, Action, FieldKind, Status
from wells.models import Attachment, Campaign, Inspection, Township, Well, WellChange, WellEvent
from wells.photos import read_photo_facts
from wells.uploads import bound_image_pixels, store_attachment

pytestmark = pytest.mark.usefixtures("clock")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# One of each kind of character text may not carry.
CONTROL_CHARACTERS = {
    "vertical tab": "\x0b",
    "unit separator": "\x1f",
    "escape": "\x1b",
    "DEL": "\x7f",
    "C1 next line": "\x85",
    "C1 application program command": "\x9f",
    "a carriage return without its line feed": "\r",
}


def with_control(character):
    return f"井{character}号"


# Clients and the check that the well answers ---------------------------------------------


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def browser(user):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


@pytest.fixture
def everyone(admin_user, staff, officer, leader):
    return {"admin": admin_user, "staff": staff, "officer": officer, "leader": leader}


def docx_text(response):
    document = docx.Document(io.BytesIO(b"".join(response.streaming_content)))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def answers_for_everyone(well, everyone):
    """Every page and endpoint that shows ``well`` answers 200 to each
    person whose scope holds it, and its facts can still be changed; returns
    the text of its notice, acceptance form and the work report."""
    well.refresh_from_db()
    code = well.code
    for name, person in everyone.items():
        response = api(person).get(reverse("api:well-detail", kwargs={"code": code}))
        assert response.status_code == 200, f"API detail for {name}: {response.status_code}"
        assert browser(person).get(reverse("wells:well", args=[code])).status_code == 200, f"page for {name}"
    for name in ("admin", "staff"):
        admin = browser(everyone[name])
        assert admin.get(reverse("admin:wells_well_change", args=[well.pk])).status_code == 200, name
        assert admin.get(reverse("admin:wells_attachment_changelist")).status_code == 200, name
        assert admin.get(reverse("admin:wells_wellevent_changelist")).status_code == 200, name
    texts = []
    for name in ("staff", "officer"):
        for document in ("api:well-notice", "api:well-acceptance"):
            response = api(everyone[name]).get(reverse(document, kwargs={"code": code}))
            assert response.status_code == 200, f"{document} for {name}: {response.status_code}"
            assert response["Content-Type"] == DOCX
            texts.append(docx_text(response))
    report = api(everyone["leader"]).get(reverse("api:work-report"), {"campaign": well.campaign_id})
    assert report.status_code == 200, report.status_code
    texts.append(docx_text(report))
    export = api(everyone["staff"]).get(reverse("api:export-wells"))
    assert export.status_code == 200
    load_workbook(io.BytesIO(b"".join(export.streaming_content)), read_only=True).close()
    patch = api(everyone["staff"]).patch(
        reverse("api:well-detail", kwargs={"code": code}),
        {"version": well.version, "responsible_person": "复核人"},
        format="json",
    )
    assert patch.status_code == 200, patch.content
    return "\n".join(texts)


# File metadata: the crafted EXIF photo -----------------------------------------------------------


def jpeg(*, taken=None, offset=None, gps=None):
    """A real 32×24 JPEG carrying the EXIF values given, as a phone writes them."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "TestPhone"
    details = {}
    if taken is not None:
        details[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        details[ExifTags.Base.OffsetTimeOriginal] = offset
    if details:
        exif[ExifTags.Base.ExifOffset] = details
    if gps is not None:
        exif[ExifTags.Base.GPSInfo] = gps
    stream = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 60)).save(stream, format="JPEG", exif=exif)
    return stream.getvalue()


def off_the_globe(latitude):
    return {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (float(latitude), 0.0, 0.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (87.0, 18.0, 0.0),
    }


CRAFTED_EXIF = {
    "the last second of 9999 at -14:00 (after year 9999 in UTC)": {"taken": "9999:12:31 23:59:59", "offset": "-14:00"},
    "the first second of year 1 at +14:00 (before year 1 in UTC)": {"taken": "0001:01:01 00:00:00", "offset": "+14:00"},
    "the last second of 9999 in Shanghai time": {"taken": "9999:12:31 23:59:59"},
    "a latitude of 95 degrees": {"taken": "2023:06:12 09:30:00", "gps": off_the_globe(95)},
}


@pytest.mark.parametrize("crafted", sorted(CRAFTED_EXIF))
def test_a_photo_with_an_impossible_exif_value_is_kept_without_it_and_its_well_still_answers(
    staff, well, everyone, attachments_in_tmp, caplog, crafted
):
    values = CRAFTED_EXIF[crafted]
    caplog.set_level(logging.WARNING, logger="wells.photos")

    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": SimpleUploadedFile("封井.jpg", jpeg(**values), content_type="image/jpeg")},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    attachment = Attachment.objects.get()
    if "gps" in values:
        assert (attachment.exif_lat, attachment.exif_lng) == (None, None)
    else:
        assert attachment.exif_taken_at is None
    assert "dropped" in caplog.text
    assert len(stored_files(attachments_in_tmp)) == 3  # the photo and its two thumbnails
    answers_for_everyone(well, everyone)


def test_the_crafted_exif_photo_uploaded_on_the_page_and_in_the_admin_is_kept_without_its_moment(
    officer, admin_user, well, everyone
):
    crafted = jpeg(taken="9999:12:31 23:59:59", offset="-14:00")

    page = browser(officer).post(
        reverse("wells:upload", args=[well.code]),
        {"kind": "photo", "file": SimpleUploadedFile("封井.jpg", crafted, content_type="image/jpeg")},
    )
    admin = browser(admin_user).post(
        reverse("admin:wells_well_upload", args=[well.pk]),
        {"kind": "photo", "file": SimpleUploadedFile("封井.jpg", crafted, content_type="image/jpeg")},
    )

    assert page.status_code == 302
    assert admin.status_code == 302
    assert list(Attachment.objects.values_list("exif_taken_at", flat=True)) == [None, None]
    answers_for_everyone(well, everyone)


def test_a_sound_exif_moment_and_position_are_still_read():
    facts = read_photo_facts(
        SimpleUploadedFile(
            "p.jpg",
            jpeg(taken="2023:06:12 09:30:00", offset="+08:00", gps=off_the_globe(44)),
            content_type="image/jpeg",
        )
    )

    assert facts.taken_at == datetime.datetime(2023, 6, 12, 1, 30, tzinfo=datetime.UTC)
    assert (str(facts.lat), str(facts.lng)) == ("44.000000", "87.300000")


def test_an_upload_whose_row_cannot_be_saved_keeps_no_file(staff, well, attachments_in_tmp, monkeypatch):
    def failing_save(self, *args, **kwargs):
        raise DatabaseError("the database refused the row")

    monkeypatch.setattr(Attachment, "save", failing_save)

    with pytest.raises(DatabaseError):
        store_attachment(
            well=well,
            kind="photo",
            upload=SimpleUploadedFile("p.png", png_bytes(), content_type="image/png"),
            uploaded_by=staff,
        )

    assert stored_files(attachments_in_tmp) == []


# The pixel bomb --------------------------------------------------------------------------------------


def png_claiming(width, height, *, size=1800):
    """A PNG of about ``size`` bytes whose header claims ``width``×``height``
    pixels (its few bytes of image data would decode to far fewer)."""

    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    data = zlib.compress(b"\x00" * 4096)
    padding = chunk(b"tEXt", b"Comment\x00" + b"x" * max(0, size - 57 - len(data)))
    return b"\x89PNG\r\n\x1a\n" + header + padding + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def test_a_small_png_claiming_sixty_thousand_pixels_square_is_refused_and_nothing_is_kept(
    staff, well, everyone, attachments_in_tmp
):
    bomb = png_claiming(60000, 60000)
    assert 1700 <= len(bomb) <= 1900

    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": SimpleUploadedFile("封井.png", bomb, content_type="image/png")},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {
        "file": ["The image has more than 40,000,000 pixels (width × height): send a smaller one."]
    }
    assert not Attachment.objects.exists()
    assert stored_files(attachments_in_tmp) == []
    answers_for_everyone(well, everyone)


def test_the_pixel_bomb_is_refused_on_the_page_too(officer, well, attachments_in_tmp):
    response = browser(officer).post(
        reverse("wells:upload", args=[well.code]),
        {"kind": "photo", "file": SimpleUploadedFile("封井.png", png_claiming(60000, 60000))},
    )

    assert response.status_code == 400
    assert "40,000,000 pixels" in response.content.decode()
    assert not Attachment.objects.exists()
    assert stored_files(attachments_in_tmp) == []


def test_an_image_over_the_configured_limit_is_refused_even_where_pillow_would_only_warn(
    staff, well, attachments_in_tmp, settings
):
    # 2,500 pixels: over the limit, under twice Pillow's, where it only warns.
    settings.IMAGE_MAX_PIXELS = 2000

    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": SimpleUploadedFile("p.png", png_claiming(50, 50, size=200))},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["file"] == ["The image has more than 2,000 pixels (width × height): send a smaller one."]
    assert stored_files(attachments_in_tmp) == []


def test_pillows_own_limit_is_the_setting_and_its_warning_an_error():
    # Set at start-up (WellsConfig.ready); the warnings filter with it, which
    # pytest's own handling of warnings puts back after collection: set again.
    assert Image.MAX_IMAGE_PIXELS == 40_000_000
    with warnings.catch_warnings():
        bound_image_pixels()
        with pytest.raises(Image.DecompressionBombWarning):
            Image.open(io.BytesIO(png_claiming(7000, 7000, size=200)))


def test_an_image_pillow_cannot_read_is_refused_and_nothing_is_kept(staff, well, attachments_in_tmp):
    broken = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

    response = api(staff).post(
        reverse("api:well-attachments", kwargs={"code": well.code}),
        {"kind": "photo", "file": SimpleUploadedFile("p.png", broken)},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json()["file"] == ["The image cannot be read: it is damaged, or not the JPEG or PNG it starts as."]
    assert not Attachment.objects.exists()
    assert stored_files(attachments_in_tmp) == []


# File names ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(CONTROL_CHARACTERS))
def test_a_control_character_in_a_file_name_is_dropped_not_refused(staff, well, everyone, kind):
    name = f"封井{CONTROL_CHARACTERS[kind]}照片\t.png"

    stored = store_attachment(well=well, kind="photo", upload=SimpleUploadedFile(name, png_bytes()), uploaded_by=staff)

    assert stored.original_name == "封井照片.png"
    download = api(staff).get(reverse("api:well-attachment", kwargs={"code": well.code, "attachment_id": stored.pk}))
    assert download.status_code == 200
    answers_for_everyone(well, everyone)


def test_a_file_name_of_control_characters_only_is_kept_as_upload():
    assert clean_file_name("\x0b\x1f\r\n") == "upload"


# Control characters in a well's text --------------------------------------------------------------

WELL_TEXT_FIELDS = ["code", "owner_name", "village", "license_no", "meter_no", "responsible_person", "note"]


@pytest.mark.parametrize("field", WELL_TEXT_FIELDS)
def test_a_control_character_in_a_text_field_of_a_well_is_refused_by_the_api_patch(staff, well, everyone, field):
    version = well.version

    for kind, character in CONTROL_CHARACTERS.items():
        response = api(staff).patch(
            reverse("api:well-detail", kwargs={"code": well.code}),
            {"version": version, field: with_control(character)},
            format="json",
        )

        assert response.status_code == 400, kind
        assert list(response.json()) == [field], kind
        assert "contains a control character" in response.json()[field][0], kind
    well.refresh_from_db()
    assert well.version == version
    answers_for_everyone(well, everyone)


def test_the_refusal_names_the_character_and_where_it_is(staff, well):
    response = api(staff).patch(
        reverse("api:well-detail", kwargs={"code": well.code}),
        {"version": well.version, "owner_name": "王\x0b英"},
        format="json",
    )

    assert response.json() == {
        "owner_name": ["This text contains a control character (U+000B at character 2): remove it."]
    }


@pytest.mark.parametrize("field", WELL_TEXT_FIELDS)
def test_a_control_character_in_a_text_field_of_a_new_well_is_refused_by_the_api_post(
    staff, well, zhongshan, campaign, field
):
    new_well = {
        "code": "NEW-1",
        "owner_name": "新户",
        "owner_kind": "person",
        "township": zhongshan.code,
        "uses": ["irrigation"],
        "responsible_unit": well.responsible_unit_id,
        "campaign": campaign.pk,
        "category": "unlicensed",
        field: with_control("\x1f"),
    }

    response = api(staff).post(reverse("api:well-list"), new_well, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert not Well.objects.filter(owner_name__startswith="新户").exists()
    assert not Well.objects.filter(code__startswith="NEW").exists()


@pytest.mark.parametrize("field", WELL_TEXT_FIELDS)
def test_a_control_character_in_a_text_field_of_a_well_is_refused_by_the_admin_form(admin_user, well, everyone, field):
    client = browser(admin_user)
    data = change_form_data(client, well)
    data[field] = with_control("\x0b")
    before = Well.objects.get(pk=well.pk)

    response = client.post(reverse("admin:wells_well_change", args=[well.pk]), data)

    assert response.status_code == 200  # the form again, with its errors
    assert list(response.context["adminform"].form.errors) == [field]
    assert Well.objects.get(pk=well.pk).version == before.version
    assert getattr(Well.objects.get(pk=well.pk), field) == getattr(before, field)
    answers_for_everyone(well, everyone)


def test_tab_newline_and_the_crlf_of_a_text_area_are_kept(staff, well):
    note = "第一行\r\n第二行\n\t缩进"

    response = api(staff).patch(
        reverse("api:well-detail", kwargs={"code": well.code}), {"version": well.version, "note": note}, format="json"
    )

    assert response.status_code == 200
    well.refresh_from_db()
    assert well.note == note


def test_an_inspection_note_with_a_control_character_is_refused(staff, well, everyone):
    response = api(staff).post(
        reverse("api:inspection-list"),
        {"well": well.code, "inspected_on": "2023-06-10", "result": "intact", "note": with_control("\x85")},
        format="json",
    )

    assert response.status_code == 400
    assert list(response.json()) == ["note"]
    assert not Inspection.objects.exists()
    answers_for_everyone(well, everyone)


# Control characters in an action's fields -------------------------------------------------------------

# The text fields of each action (DESIGN §3 "Action fields") and the note
# every action takes, written out rather than read from ACTION_FIELDS.
ACTION_TEXT_FIELDS = {
    Action.NOTIFY: ["notice_no", "note"],
    Action.REVOKE_LICENSE: ["revocation_no", "note"],
    Action.DISCONNECT: ["note"],
    Action.SEAL: ["method", "note"],
    Action.ACCEPT: ["inspectors", "note"],
    Action.RETAIN: ["reason", "note"],
    Action.RELEASE: ["reason", "note"],
    Action.REACTIVATE: ["reason", "note"],
    Action.ESCALATE: ["reason", "note"],
    Action.REVERT: ["reason", "note"],
}
# The state each action is tried from.
FROM_STATUS = {
    Action.NOTIFY: Status.INVENTORIED,
    Action.REVOKE_LICENSE: Status.NOTIFIED,
    Action.DISCONNECT: Status.LICENSE_REVOKED,
    Action.SEAL: Status.DISCONNECTED,
    Action.ACCEPT: Status.SEALED,
    Action.RETAIN: Status.INVENTORIED,
    Action.RELEASE: Status.RETAINED,
    Action.REACTIVATE: Status.ACCEPTED,
    Action.ESCALATE: Status.NOTIFIED,
    Action.REVERT: Status.NOTIFIED,
}


def test_the_text_fields_written_out_here_are_every_text_field_of_every_action():
    declared = {
        action: sorted(field.name for field in fields if field.kind in (FieldKind.TEXT, FieldKind.REASON))
        for action, fields in ACTION_FIELDS.items()
    }
    assert declared == {action: sorted(set(names) - {"note"}) for action, names in ACTION_TEXT_FIELDS.items()}


def _jsonable(data):
    return {name: value.isoformat() if isinstance(value, datetime.date) else value for name, value in data.items()}


@pytest.mark.parametrize(
    ("action", "field"), [(action, field) for action, fields in ACTION_TEXT_FIELDS.items() for field in fields]
)
def test_a_control_character_in_an_action_field_is_refused_on_that_field(
    ready_well, admin_user, everyone, action, field
):
    case = ready_well(action, FROM_STATUS[action])
    well = case.well
    events = WellEvent.objects.filter(well=well).count()
    body = {
        **_jsonable(case.data),
        "action": action.value,
        "version": well.version,
        field: with_control("\x0b"),
    }

    response = api(admin_user).post(reverse("api:well-transitions", kwargs={"code": well.code}), body, format="json")

    assert response.status_code == 400, response.content
    assert response.json()["field"] == field
    assert "control character" in response.json()["detail"]
    assert WellEvent.objects.filter(well=well).count() == events
    answers_for_everyone(well, everyone)


def test_a_control_character_in_an_action_page_form_is_refused_on_its_field(ready_well, admin_user, notice):
    well = ready_well(Action.NOTIFY, Status.INVENTORIED).well

    response = browser(admin_user).post(
        reverse("wells:action", args=[well.code, Action.NOTIFY.value]),
        {**notice, "notice_no": with_control("\x1f"), "version": well.version},
    )

    assert response.status_code == 400
    assert "notice_no" in response.context["form"].errors
    assert not WellEvent.objects.filter(well=well).exists()


def test_a_control_character_in_an_archive_reason_is_refused(staff, well, everyone):
    response = api(staff).post(
        reverse("api:well-archive", kwargs={"code": well.code}),
        {"version": well.version, "reason": with_control("\x0b")},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The reason contains a control character (U+000B at character 2): remove it.",
        "field": "reason",
    }
    well.refresh_from_db()
    assert well.archived_at is None
    answers_for_everyone(well, everyone)


# Dates and what reads a value by itself ------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "1899-12-31", "2101-01-01", "9999-12-31"])
def test_a_deadline_outside_the_ledgers_years_is_refused(staff, well, everyone, day):
    response = api(staff).patch(
        reverse("api:well-detail", kwargs={"code": well.code}),
        {"version": well.version, "deadline": day},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"deadline": ["The date must lie between 1900-01-01 and 2100-12-31."]}
    answers_for_everyone(well, everyone)


def test_a_comply_by_date_outside_the_ledgers_years_is_refused_by_the_action(staff, well, notice):
    response = api(staff).post(
        reverse("api:well-transitions", kwargs={"code": well.code}),
        {**notice, "action": "notify", "version": well.version, "comply_by": "9999-12-31"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The comply-by date must lie between 1900-01-01 and 2100-12-31.",
        "field": "comply_by",
    }


def test_check_text_names_the_field_and_passes_what_is_not_text():
    # The message in Chinese, the UI's language.
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        check_text("一二\x85", "备注")
    assert refused.value.messages == ["备注含有控制字符（第3个字符，U+0085），请删除后重试。"]
    assert check_text("一\t二\r\n三", "备注") == "一\t二\r\n三"
    assert check_text(80, "井深") == 80
    assert check_text(None, "备注") is None


def test_check_date_names_the_field():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        check_date(datetime.date(9999, 12, 31), "限期")
    assert refused.value.messages == ["限期须在1900-01-01至2100-12-31之间。"]
    assert check_date(datetime.date(2023, 11, 30), "限期") == datetime.date(2023, 11, 30)


# The writers' backstop and the data migration ---------------------------------------------------------------


def test_documents_never_fail_on_a_control_character_already_stored(ready_well, everyone, notice, staff):
    well = ready_well(Action.NOTIFY, Status.INVENTORIED).well
    api(staff).post(
        reverse("api:well-transitions", kwargs={"code": well.code}),
        {**notice, "action": "notify", "version": well.version},
        format="json",
    )
    # As stored before the checks: past every door, on purpose. Overdue, so
    # that the work report lists it.
    Well.objects.filter(pk=well.pk).update(
        code="CJ\x0b-01", owner_name="王\x1f英", village="三\x85村", deadline=datetime.date(2023, 5, 31)
    )
    WellEvent.objects.filter(well=well).update(data={**notice, "notice_no": "昌水通\x0b〔2023〕15号"})
    Campaign.objects.filter(pk=well.campaign_id).update(name="关停\x0c行动")

    report = api(staff).get(reverse("api:work-report"), {"campaign": well.campaign_id})
    text = answers_for_everyone(Well.objects.get(pk=well.pk), everyone)

    assert report.status_code == 200
    assert "CJ-01" in docx_text(report)
    assert "CJ-01" in text and "王英" in text and "昌水通〔2023〕15号" in text
    assert printable(text) == text


def test_printable_drops_only_what_text_may_not_carry():
    assert printable("a\x0bb\x85c\r\nd\te\rf") == "ab" + "c\r\nd\tef"
    assert printable(None) == ""
    assert printable(3) == "3"


def _mend():
    migration = importlib.import_module("wells.migrations.0008_values_checked_at_the_door")
    migration.mend(global_apps, None)


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_the_data_migration_mends_every_stored_text_and_the_well_answers_again(
    ready_well, everyone, notice, staff, zhongshan, bureau
):
    well = ready_well(Action.NOTIFY, Status.INVENTORIED).well
    api(staff).post(
        reverse("api:well-transitions", kwargs={"code": well.code}),
        {**notice, "action": "notify", "version": well.version, "note": "送达"},
        format="json",
    )
    photo = store_attachment(
        well=well, kind="photo", upload=SimpleUploadedFile("p.png", png_bytes()), uploaded_by=staff
    )
    inspection = Inspection.objects.create(
        well=well, inspected_on=datetime.date(2023, 6, 10), inspector=staff, inspector_name="巡查员", result="intact"
    )
    event = WellEvent.objects.get(well=well)
    version = Well.objects.get(pk=well.pk).version
    # Written as an older release let them in: raw SQL, past every check.
    _raw(
        "UPDATE wells_well SET code = %s, owner_name = %s, note = %s WHERE id = %s",
        ["CJ\x0b-01", "王\x1f英", "第一行\r\n第二行\x7f", well.pk],
    )
    _raw(
        "UPDATE wells_wellevent SET note = %s, data = %s WHERE id = %s",
        ["送\x0b达", json.dumps({**notice, "notice_no": "昌水通\x0b〔2023〕\x85号", "list": ["a\x1fb"]}), event.pk],
    )
    _raw("UPDATE wells_wellchange SET note = %s WHERE event_id = %s", ["送\x0b达", event.pk])
    _raw("UPDATE wells_attachment SET original_name = %s WHERE id = %s", ["封\x0b井.png", photo.pk])
    _raw("UPDATE wells_inspection SET note = %s WHERE id = %s", ["完\x9f好", inspection.pk])
    _raw("UPDATE wells_township SET name = %s WHERE id = %s", ["中山路\x0b街道", zhongshan.pk])
    _raw("UPDATE accounts_unit SET name = %s WHERE id = %s", ["水利局\x1b", bureau.pk])
    _raw("UPDATE accounts_user SET display_name = %s WHERE id = %s", ["职\x0b员", staff.pk])

    _mend()

    well = Well.objects.get(pk=well.pk)
    assert (well.code, well.owner_name, well.note) == ("CJ-01", "王英", "第一行\r\n第二行")
    assert well.version == version
    event = WellEvent.objects.get(pk=event.pk)
    assert event.note == "送达"
    assert event.data == {**notice, "notice_no": "昌水通〔2023〕号", "list": ["ab"]}
    assert WellChange.objects.get(event=event).note == "送达"
    assert Attachment.objects.get(pk=photo.pk).original_name == "封井.png"
    assert Inspection.objects.get(pk=inspection.pk).note == "完好"
    assert Township.objects.get(pk=zhongshan.pk).name == "中山路街道"
    assert Unit.objects.get(pk=bureau.pk).name == "水利局"
    assert User.objects.get(pk=staff.pk).display_name == "职员"
    answers_for_everyone(well, everyone)


def test_the_data_migration_leaves_a_visible_mark_where_mending_would_repeat_a_unique_code(zhongshan, campaign):
    kept = WellFactory(code="CJ-01", township=zhongshan, campaign=campaign)
    twin = WellFactory(code="CJ-02", township=zhongshan, campaign=campaign)
    _raw("UPDATE wells_well SET code = %s WHERE id = %s", ["CJ-\x0b01", twin.pk])

    _mend()

    assert Well.objects.get(pk=kept.pk).code == "CJ-01"
    assert Well.objects.get(pk=twin.pk).code == "CJ-\ufffd01"


def test_the_data_migration_changes_nothing_in_a_clean_ledger(well, staff):
    before = list(Well.objects.values())

    _mend()

    assert list(Well.objects.values()) == before


def test_the_data_migration_forgets_an_exif_moment_no_datetime_can_hold(staff, well, everyone):
    photo = store_attachment(
        well=well,
        kind="photo",
        upload=SimpleUploadedFile("p.jpg", jpeg(taken="2023:06:12 09:30:00")),
        uploaded_by=staff,
    )
    # What the crafted photo left behind: after year 9999 in UTC where
    # PostgreSQL could store it; on SQLite (naive UTC text), a moment that
    # Shanghai time takes past 9999.
    stored = "10000-01-01 13:59:59+00" if connection.vendor == "postgresql" else "9999-12-31 23:00:00"
    _raw("UPDATE wells_attachment SET exif_taken_at = %s, exif_lat = %s WHERE id = %s", [stored, 95, photo.pk])

    _mend()

    photo = Attachment.objects.get(pk=photo.pk)
    assert (photo.exif_taken_at, photo.exif_lat) == (None, None)
    answers_for_everyone(well, everyone)


def test_the_import_template_prints_stored_names_without_their_control_characters(staff, zhongshan):
    # Stored before the door checked it: raw SQL, as the mending migration finds it.
    Township.objects.filter(pk=zhongshan.pk).update(name="中山路\x0b街道")
    Unit.objects.filter(pk=zhongshan.government_id).update(name="中山路街道\x1f办事处")

    response = api(staff).get(reverse("api:import-wells-template"))

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    options = [cell.value for row in book["选项"].iter_rows() for cell in row if cell.value]
    assert "中山路街道" in options and "中山路街道办事处" in options
