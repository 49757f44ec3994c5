"""Writes that race for the same well, on real PostgreSQL with real threads
(each its own database connection): the row lock and the version decide,
so the ledger never loses a change or records one twice.

- Eight clients post the same transition with the same version at once:
  exactly one is answered 200, the other seven 409, and one event is
  written.
- An inventory import and a transition race on the same well: whichever
  wins the row lock first, the other sees its result; the status changes
  only through the workflow, the version rises by one per write, and the
  import's facts and the action's event are both there (or the action is
  refused as stale).

SQLite has no row locks: these run on PostgreSQL (CI)."""

import datetime
import io
import threading
from concurrent.futures import ThreadPoolExecutor

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import WellFactory
from tests.tokens import token_for
from wells import excel
from wells.choices import Status
from wells.models import WellEvent

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; CI runs this on PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
# The notice's dates lie before the real today, whatever day the suite runs.
# (tests/test_sqlite_concurrency.py takes it from here.)
NOTICE = {"action": "notify", "notice_no": "昌水通〔2023〕15号", "served_on": "2023-06-01", "comply_by": "2023-06-30"}


def client_for(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def in_threads(*calls):
    """Run the calls at the same moment, each in its own thread with its
    own database connection; return their results in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait(timeout=30)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_of_eight_identical_transitions_exactly_one_wins_and_one_event_is_written(zhongshan, campaign, staff):
    well = WellFactory(township=zhongshan, campaign=campaign)
    url = reverse("api:well-transitions", kwargs={"code": well.code})
    clients = [client_for(staff) for _ in range(THREADS)]

    def post(client):
        return lambda: client.post(url, {**NOTICE, "version": 1}, format="json")

    responses = in_threads(*[post(client) for client in clients])

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [409] * (THREADS - 1)
    refusals = [response.json() for response in responses if response.status_code == 409]
    assert [refusal["field"] for refusal in refusals] == ["version"] * (THREADS - 1)
    assert ["changed by someone else" in refusal["detail"] for refusal in refusals] == [True] * (THREADS - 1)
    well.refresh_from_db()
    assert (well.status, well.version) == (Status.NOTIFIED, 2)
    assert WellEvent.objects.filter(well=well).count() == 1


def test_eight_different_officers_and_staff_racing_still_write_one_event(zhongshan, campaign, staff, officer):
    well = WellFactory(township=zhongshan, campaign=campaign)
    url = reverse("api:well-transitions", kwargs={"code": well.code})
    actors = [officer, staff] * (THREADS // 2)

    def post_as(actor):
        client = client_for(actor)
        return lambda: client.post(url, {**NOTICE, "version": 1}, format="json")

    responses = in_threads(*[post_as(actor) for actor in actors])

    assert sorted(r.status_code for r in responses).count(200) == 1
    assert WellEvent.objects.filter(well=well).count() == 1


def workbook(code, township, unit, village):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(excel.HEADERS))
    values = {
        "机井编码": code,
        "取水户名称": "并发取水户",
        "取水户类型": "个人",
        "乡镇(街道)": township.name,
        "村(社区)": village,
        "经度": 87.308611,
        "纬度": 44.016111,
        "所在区域": "禁采区",
        "用途": "农灌",
        "井深(米)": 80,
        "电表号": "6530010021001",
        "类别": "未经审批",
        "责任单位": unit.name,
        "责任人": "张三",
        "限期": datetime.date(2023, 11, 30),
    }
    sheet.append([values.get(header, "") for header in excel.HEADERS])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


@pytest.mark.parametrize("round_", range(4))
def test_an_import_and_a_transition_racing_on_one_well_leave_it_consistent(
    zhongshan, zhongshan_unit, campaign, staff, officer, round_
):
    well = WellFactory(township=zhongshan, campaign=campaign, village="一村", owner_name="并发取水户")
    content = workbook(well.code, zhongshan, zhongshan_unit, village=f"并发村{round_}")
    importer, actor = client_for(staff), client_for(officer)

    def run_import():
        upload = SimpleUploadedFile("台账.xlsx", content)
        return importer.post(reverse("api:import-wells"), {"file": upload, "campaign": campaign.pk}, format="multipart")

    def run_transition():
        url = reverse("api:well-transitions", kwargs={"code": well.code})
        return actor.post(url, {**NOTICE, "version": 1}, format="json")

    imported, acted = in_threads(run_import, run_transition)

    assert imported.status_code == 200, imported.content
    assert imported.json()["updated"] == 1
    assert acted.status_code in (200, 409), acted.content
    well.refresh_from_db()
    # The import's facts are there whoever went first.
    assert well.village == f"并发村{round_}"
    events = WellEvent.objects.filter(well=well)
    if acted.status_code == 200:
        # The action went first (version 1 → 2), the import after (→ 3).
        assert (well.status, well.version, events.count()) == (Status.NOTIFIED, 3, 1)
        assert events.get().from_status == Status.INVENTORIED
    else:
        # The import went first: the action's version 1 was stale.
        assert (well.status, well.version, events.count()) == (Status.INVENTORIED, 2, 0)
    # Every write left one row in the field history, its version one up.
    versions = list(well.history.order_by("pgh_id").values_list("version", flat=True))
    assert versions == list(range(1, well.version + 1))
