"""Hostile uploads (issue 13): each answered 400 within the read bound
(``settings.IMPORT_READ_SECONDS``, wells/excel/workbook.py), with the
elapsed time asserted loosely, and nothing written. The files are small —
under the size limit — and would each cost minutes or gigabytes if read
naively."""

import io
import re
import time
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

from tests.test_excel_import import row, workbook
from wells.excel import HEADERS
from wells.models import Well

IMPORT_URL = reverse("api:import-wells")
# The bound, and what a test run on a loaded CI machine may add to it.
SLACK_SECONDS = 4


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def api(staff, zhongshan, campaign):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(staff)
    return client


def rewritten(content, name, change):
    """``content`` (an .xlsx) with its part ``name`` changed by ``change``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == name else data)
    return out.getvalue()


def merged_blow_up(count, ref):
    """2,000 rows of wells and ``count`` merged ranges ``ref`` (n: the
    range's number), written past openpyxl, which refuses overlaps."""
    content = workbook([row(f"CJ-{n:05d}") for n in range(2000)])
    merges = "".join(f'<mergeCell ref="{ref(n)}"/>' for n in range(count)).encode()
    return rewritten(
        content,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"</sheetData>", b"</sheetData><mergeCells>" + merges + b"</mergeCells>", 1),
    )


def thousands_of_sheets():
    """A workbook listing 10,000 sheets (all the same part): 180 KB."""
    sheets = "".join(f'<sheet name="乡镇{n}" sheetId="{n + 1}" r:id="rId1"/>' for n in range(10_000)).encode()
    return rewritten(
        workbook([row("CJ-001")]),
        "xl/workbook.xml",
        lambda xml: re.sub(rb"<sheets>.*</sheets>", b"<sheets>" + sheets + b"</sheets>", xml, flags=re.DOTALL),
    )


def used_range_to_the_last_row(column):
    """A real inventory and one cell filled at the sheet's last row."""

    def edit(sheet):
        sheet[f"{column}1048576"] = "x"

    return workbook([row("CJ-001"), row("CJ-002")], edit=edit)


def ratio_bomb():
    """A sheet part of 40 MB of one repeated row: under the unpacked limit,
    a thousand times its packed size."""
    parts = []
    with zipfile.ZipFile(io.BytesIO(workbook([row("CJ-001")]))) as source:
        parts = [(name, source.read(name)) for name in source.namelist()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts:
            if name == "xl/worksheets/sheet1.xml":
                with target.open(name, "w") as handle:
                    handle.write(data[: data.index(b"</sheetData>")])
                    for _n in range(40):
                        handle.write(b" " * (1 << 20))
                    handle.write(data[data.index(b"</sheetData>") :])
            else:
                target.writestr(name, data)
    return out.getvalue()


def many_sheets_openpyxl():
    book = openpyxl.Workbook()
    for n in range(600):
        book.create_sheet(f"S{n}").append(list(HEADERS))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HOSTILE = {
    # Each range down the whole data, a thousand times over: 2,000,000 cells.
    "merged-range blow-up": (lambda: merged_blow_up(1000, lambda n: f"D{n % 50 + 3}:D2002"), "merged ranges"),
    "10,000 merged ranges": (lambda: merged_blow_up(10_000, lambda n: f"R{n + 3}:S{n + 3}"), "merged ranges"),
    "10,000 sheets listed": (thousands_of_sheets, "10000 sheets"),
    "600 sheets": (many_sheets_openpyxl, "too many parts"),
    # Refused for its rows, or (a loaded machine) at the time or memory bound.
    "used range to row 1,048,576": (lambda: used_range_to_the_last_row("Q"), ("beyond row", "within", "memory")),
    "used range to XFD1048576": (lambda: used_range_to_the_last_row("XFD"), ("memory", "within")),
    "zip bomb by ratio": (ratio_bomb, "times its size"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_file_is_refused_within_the_bound_and_writes_nothing(api, settings, name):
    make, message = HOSTILE[name]
    content = make()
    assert len(content) < settings.IMPORT_MAX_BYTES

    started = time.monotonic()
    response = api.post(IMPORT_URL, {"file": SimpleUploadedFile("台账.xlsx", content)}, format="multipart")
    elapsed = time.monotonic() - started

    assert response.status_code == 400, response.content
    assert any(part in response.json()["detail"] for part in ((message,) if isinstance(message, str) else message))
    assert elapsed < settings.IMPORT_READ_SECONDS + SLACK_SECONDS
    assert not Well.objects.exists()


def test_a_file_that_takes_too_long_to_read_is_refused_at_the_wall_clock_bound(api, settings, monkeypatch):
    settings.IMPORT_READ_SECONDS = 1
    # A child that never answers stands for a reader stuck in a file.
    monkeypatch.setattr("wells.excel.workbook.child_command", lambda kind, seconds: ["sleep", "30"])

    started = time.monotonic()
    response = api.post(
        IMPORT_URL, {"file": SimpleUploadedFile("台账.xlsx", workbook([row("CJ-001")]))}, format="multipart"
    )

    assert response.status_code == 400, response.content
    assert "within 1 seconds" in response.json()["detail"]
    assert time.monotonic() - started < 1 + SLACK_SECONDS
    assert not Well.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_four_hostile_uploads_at_once_leave_the_well_list_answering(staff, zhongshan, campaign, settings):
    """The reading happens in child processes with their own limits, so a
    worker thread waiting on one holds nothing the list needs: while four
    of the costliest files are refused at once, the list keeps answering."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection
    from django.test import Client

    content = used_range_to_the_last_row("XFD")
    start = threading.Barrier(5)

    def signed_in():
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(staff)
        return client

    # Signed in here, before the threads: each only uploads.
    clients = [signed_in() for _ in range(4)]

    def upload(client):
        try:
            start.wait(timeout=30)
            began = time.monotonic()
            response = client.post(IMPORT_URL, {"file": SimpleUploadedFile("台账.xlsx", content)})
            return response.status_code, time.monotonic() - began
        finally:
            connection.close()

    reader = signed_in()
    with ThreadPoolExecutor(max_workers=4) as pool:
        uploads = [pool.submit(upload, client) for client in clients]
        start.wait(timeout=30)
        answers = []
        while not all(future.done() for future in uploads):
            began = time.monotonic()
            status = reader.get(reverse("api:well-list")).status_code
            answers.append((status, time.monotonic() - began))
        refused = [future.result() for future in uploads]

    assert [status for status, _seconds in refused] == [400] * 4
    assert all(seconds < settings.IMPORT_READ_SECONDS + SLACK_SECONDS for _status, seconds in refused)
    assert answers and all(status == 200 for status, _seconds in answers)
    # Each list answer in well under a second while the four are read.
    assert max(seconds for _status, seconds in answers) < 1.0
    assert not Well.objects.exists()
