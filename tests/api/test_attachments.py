"""Evidence over the API: uploads are what their bytes say, under the size
limit, stored outside any public URL, and downloaded only in scope."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.helpers import png_bytes, url
from wells.models import Attachment

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def upload(client, well, name, content, kind="photo"):
    file = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    return client.post(url("well-attachments", code=well.code), {"file": file, "kind": kind}, format="multipart")


def test_an_officer_uploads_a_photo_of_their_well(api, officer, well, attachments_in_tmp):
    content = png_bytes()

    response = upload(api(officer), well, "封井照片.png", content)

    assert response.status_code == 201, response.content
    body = response.json()
    attachment = Attachment.objects.get()
    assert body == {
        "id": attachment.pk,
        "kind": "photo",
        "original_name": "封井照片.png",
        "content_type": "image/png",
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "uploaded_at": body["uploaded_at"],
        "download_url": f"http://testserver/api/v1/wells/{well.code}/attachments/{attachment.pk}/",
        # A PNG carries no EXIF the ledger reads (tests/test_photo_checks.py).
        "exif_lat": None,
        "exif_lng": None,
        "exif_taken_at": None,
        "warning": "",
    }
    assert attachment.uploaded_by == officer
    # Stored under the attachments root, by a name the uploader did not choose.
    stored = attachments_in_tmp / attachment.file.name
    assert stored.read_bytes() == content
    assert "封井照片" not in attachment.file.name


def test_a_png_named_pdf_is_stored_as_a_png(api, staff, well):
    response = upload(api(staff), well, "notice.pdf", png_bytes(), kind="notice")

    assert response.status_code == 201
    assert response.json()["content_type"] == "image/png"


def test_a_real_pdf_is_accepted(api, staff, well):
    response = upload(api(staff), well, "revocation", PDF, kind="revocation")

    assert response.status_code == 201
    assert response.json()["content_type"] == "application/pdf"


def test_a_text_file_named_jpg_is_refused(api, officer, well):
    response = upload(api(officer), well, "photo.jpg", b"just some text, not a photo")

    assert response.status_code == 400
    assert response.json() == {"file": ["Only JPEG, PNG and PDF files are accepted."]}
    assert not Attachment.objects.exists()


def test_a_file_over_the_limit_is_refused(api, officer, well, settings):
    settings.ATTACHMENT_MAX_BYTES = 50

    response = upload(api(officer), well, "big.png", png_bytes() + b"\x00" * 100)

    assert response.status_code == 400
    assert response.json() == {"file": ["The file is 169\xa0bytes; the limit is 50\xa0bytes."]}
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"kind": "photo"}, {"file": ["No file was submitted."]}),
        ({"kind": "selfie", "file": "png"}, {"kind": ['"selfie" is not a valid choice.']}),
        ({"kind": "photo", "file": "empty"}, {"file": ["The submitted file is empty."]}),
    ],
    ids=["no-file", "bad-kind", "empty-file"],
)
def test_a_bad_upload_is_400(api, officer, well, data, errors):
    files = {"png": SimpleUploadedFile("a.png", png_bytes()), "empty": SimpleUploadedFile("a.png", b"")}
    if "file" in data:
        data = {**data, "file": files[data["file"]]}

    response = api(officer).post(url("well-attachments", code=well.code), data, format="multipart")

    assert response.status_code == 400
    assert response.json() == errors


def test_a_leader_may_not_upload(api, leader, well):
    response = upload(api(leader), well, "a.png", png_bytes())

    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_an_officer_gets_404_uploading_to_another_townships_well(api, officer, other_well):
    response = upload(api(officer), other_well, "a.png", png_bytes())

    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_the_attachments_of_a_well_are_listed(api, officer, leader, well):
    upload(api(officer), well, "a.png", png_bytes())
    upload(api(officer), well, "b.pdf", PDF, kind="notice")

    response = api(leader).get(url("well-attachments", code=well.code))

    assert response.status_code == 200
    assert [(a["original_name"], a["kind"]) for a in response.json()] == [("a.png", "photo"), ("b.pdf", "notice")]


def test_the_download_serves_the_stored_bytes_in_scope(api, officer, leader, well):
    content = png_bytes()
    download_url = upload(api(officer), well, "照片.png", content).json()["download_url"]

    for user in (officer, leader):
        response = api(user).get(download_url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == content
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_is_downloaded_not_opened(api, staff, well):
    download_url = upload(api(staff), well, "通知.pdf", PDF, kind="notice").json()["download_url"]

    response = api(staff).get(download_url)

    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")


def test_the_download_is_404_out_of_scope(api, staff, other_officer, officer, well, other_well):
    attachment_id = upload(api(staff), well, "a.png", png_bytes()).json()["id"]

    outsider = api(other_officer).get(url("well-attachment", code=well.code, attachment_id=attachment_id))
    # Nor can an attachment be reached through a well it does not belong to.
    elsewhere = api(staff).get(url("well-attachment", code=other_well.code, attachment_id=attachment_id))

    assert outsider.status_code == 404
    assert elsewhere.status_code == 404


def test_the_download_needs_a_sign_in(api, staff, well):
    download_url = upload(api(staff), well, "a.png", png_bytes()).json()["download_url"]

    assert api().get(download_url).status_code == 401
