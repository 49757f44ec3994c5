"""A well's page with a real phone photo (9 MB) weighs what its thumbnail
weighs, not the photo: under 500 KB in all, on a phone."""

import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.browser.conftest import PHONE, log_in
from wells.choices import AttachmentKind
from wells.models import Well
from wells.uploads import store_attachment

pytestmark = pytest.mark.browser

WELL = "CJ-ZSL-05"


def nine_megabyte_photo():
    # Noise does not compress: 3,200 × 2,600 pixels at quality 95 is ~9.8 MB,
    # what a phone's camera writes.
    width, height = 3200, 2600
    out = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(out, "JPEG", quality=95)
    return out.getvalue()


def test_a_well_page_holding_a_9_mb_photo_transfers_under_500_kb(open_page, demo):
    data = nine_megabyte_photo()
    assert len(data) > 9_000_000
    well = Well.objects.get(code=WELL)
    upload = SimpleUploadedFile("IMG_20230612.jpg", data, content_type="image/jpeg")
    store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=upload, uploaded_by=demo["zhongshan"])

    page = open_page(**PHONE)
    log_in(page, "zhongshan")
    received = []
    page.on("requestfinished", lambda request: received.append((request.url, request.sizes()["responseBodySize"])))
    page.goto(f"/well/{WELL}/")
    image = page.locator("[data-testid=attachment] img")
    image.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    page.wait_for_load_state("networkidle")

    total = sum(size for _url, size in received)
    assert any("/thumbnail/small/" in url for url, _size in received)
    assert not any("/download/" in url for url, _size in received)
    assert total < 500_000, received
