"""A photo's thumbnails (320 px and 1,280 px) are made when it is uploaded,
or the first time one is asked for, and served only to those who may see
the well: a well's page never sends the phone's original megabytes."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from wells.choices import Action, AttachmentKind
from wells.models import Attachment
from wells.photos import thumbnail_name
from wells.uploads import store_attachment

pytestmark = pytest.mark.usefixtures("clock")


def jpeg_upload(width=4000, height=3000, name="现场.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 140, 90)).save(out, "JPEG", quality=90)
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def sizes_of(storage, attachment):
    found = {}
    for size in ("small", "large"):
        with storage.open(thumbnail_name(attachment, size), "rb") as stored, Image.open(stored) as image:
            found[size] = (image.format, image.size)
    return found


def test_an_uploaded_photo_gets_its_two_thumbnails_beside_it(well, officer):
    photo = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=jpeg_upload(), uploaded_by=officer)
    assert sizes_of(photo.file.storage, photo) == {"small": ("JPEG", (320, 240)), "large": ("JPEG", (1280, 960))}
    assert thumbnail_name(photo, "small") == f"{photo.file.name}.320.jpg"


def test_a_thumbnail_missing_from_storage_is_made_when_it_is_asked_for(client, well, officer):
    photo = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=jpeg_upload(), uploaded_by=officer)
    storage = photo.file.storage
    storage.delete(thumbnail_name(photo, "small"))
    storage.delete(thumbnail_name(photo, "large"))
    client.force_login(officer)

    response = client.get(f"/wells/attachments/{photo.pk}/thumbnail/small/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.size == (320, 240)
    assert storage.exists(thumbnail_name(photo, "large"))


def test_a_thumbnail_is_not_found_outside_the_wells_scope_or_for_a_document(client, well, other_well, officer):
    photo = store_attachment(
        well=other_well, kind=AttachmentKind.PHOTO, upload=jpeg_upload(400, 300), uploaded_by=officer
    )
    pdf = store_attachment(
        well=well,
        kind=AttachmentKind.NOTICE,
        upload=SimpleUploadedFile("通知.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
        uploaded_by=officer,
    )
    client.force_login(officer)
    assert client.get(f"/wells/attachments/{photo.pk}/thumbnail/small/").status_code == 404
    assert client.get(f"/wells/attachments/{pdf.pk}/thumbnail/small/").status_code == 404
    assert client.get(f"/wells/attachments/{pdf.pk}/thumbnail/huge/").status_code == 404


def test_the_well_page_shows_the_small_thumbnail_and_links_the_large_one(client, well, officer):
    photo = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=jpeg_upload(), uploaded_by=officer)
    client.force_login(officer)
    page = client.get(f"/well/{well.code}/").content.decode()
    assert re.findall(r'<img src="([^"]+)"', page) == [f"/wells/attachments/{photo.pk}/thumbnail/small/"]
    assert f'href="/wells/attachments/{photo.pk}/thumbnail/large/"' in page
    assert f'href="/wells/attachments/{photo.pk}/download/"' in page  # the original, when asked for


def test_a_refused_seal_keeps_neither_the_photo_nor_its_thumbnails(client, officer, ready_well, attachments_in_tmp):
    well = ready_well(Action.SEAL, "disconnected").well
    before = {path for path in attachments_in_tmp.rglob("*") if path.is_file()}
    photos_before = Attachment.objects.filter(well=well).count()
    client.force_login(officer)
    response = client.post(
        f"/well/{well.code}/action/seal/",
        {"version": well.version, "sealed_on": "2099-01-01", "method": "回填", "photos": [jpeg_upload(800, 600)]},
    )
    assert response.status_code == 400
    assert Attachment.objects.filter(well=well).count() == photos_before
    assert {path for path in attachments_in_tmp.rglob("*") if path.is_file()} == before
