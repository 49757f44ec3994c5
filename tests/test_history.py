"""Every change to wells, tasks, users and units is kept — by the page, the
API, the admin, a bulk update, a bulk insert or an import — with who made
it, when, and the values before and after; the history is shown on the
well's page and in the admin, and nothing in the product (nor a plain SQL
UPDATE or DELETE) can change it. Wells are archived, never deleted.

The field history is written by PostgreSQL triggers (django-pghistory): on
SQLite, the development default, none is kept, and the tests that need it
are skipped there (CI runs PostgreSQL). The lifecycle events (WellEvent)
are kept on both."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from tasks.choices import Step, TaskStatus
from tasks.models import Task
from tests.api.helpers import SHANGHAI
from tests.factories import WellFactory
from tests.tokens import token_for
from wellclosure.history import acting_as, changes_of
from wells import excel
from wells.changes import change_facts
from wells.choices import Action, Status
from wells.models import Well
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="Field history is kept by PostgreSQL triggers; SQLite (the development default) keeps none.",
)


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def api_as(user):
    """A client sending ``user``'s token, as a script would."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return client


def latest(obj):
    return changes_of(obj)[0]


# What is kept ----------------------------------------------------------------------


@on_postgresql
def test_a_fact_changed_through_the_api_is_kept_with_who_when_before_and_after(staff, well):
    response = api_as(staff).patch(
        reverse("api:well-detail", kwargs={"code": well.code}), {"responsible_person": "李四"}, format="json"
    )
    assert response.status_code == 200

    change = latest(well)

    assert change["actor"] == str(staff)
    assert change["kind"] == "changed"
    # The database's own clock stamps the change (not the test's frozen one).
    assert change["at"] is not None
    assert ("responsible person", "张三", "李四") in change["changes"]


@on_postgresql
def test_a_lifecycle_action_on_a_page_is_kept_in_the_field_history_too(client, officer, well, notice):
    client.force_login(officer)

    response = client.post(reverse("wells:action", args=[well.code, "notify"]), {**notice, "version": well.version})

    assert response.status_code == 302
    change = latest(well)
    assert change["actor"] == str(officer)
    assert ("status", "Inventoried", "Closure notice served") in change["changes"]
    assert ("comply by", "—", "2023-06-30") in change["changes"]


@on_postgresql
def test_a_bulk_update_is_kept_for_every_well_it_touched(staff, well, other_well):
    with acting_as(staff):
        Well.objects.filter(pk__in=[well.pk, other_well.pk]).update(responsible_person="王五")

    for each in (well, other_well):
        change = latest(each)
        assert change["actor"] == str(staff)
        assert ("responsible person", "张三", "王五") in change["changes"]


@on_postgresql
def test_a_bulk_insert_is_kept(staff, well):
    with acting_as(staff):
        created = Well.objects.bulk_create(
            [WellFactory.build(code=f"BULK-{n}", township=well.township, campaign=well.campaign) for n in range(3)]
        )

    for each in Well.objects.filter(code__in=[w.code for w in created]):
        history = changes_of(each)
        assert [(row["kind"], row["actor"]) for row in history] == [("created", str(staff))]


@on_postgresql
def test_a_change_without_a_person_is_kept_as_the_systems(well):
    Well.objects.filter(pk=well.pk).update(village="二村")

    change = latest(well)

    assert change["actor"] == "system"
    assert ("village or community", "一村", "二村") in change["changes"]


def inventory(*codes, township, unit):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(excel.HEADERS))
    for code in codes:
        values = {
            "机井编码": code,
            "取水户名称": f"取水户{code}",
            "取水户类型": "个人",
            "乡镇(街道)": township.name,
            "村(社区)": "三村",
            "经度": 87.308611,
            "纬度": 44.016111,
            "所在区域": "禁采区",
            "用途": "农灌",
            "井深(米)": 80,
            "电表号": "6530010021001",
            "类别": "未经审批",
            "责任单位": unit.name,
            "责任人": "赵六",
            "限期": datetime.date(2023, 11, 30),
        }
        sheet.append([values.get(header, "") for header in excel.HEADERS])
    stream = io.BytesIO()
    book.save(stream)
    return SimpleUploadedFile("台账.xlsx", stream.getvalue())


@on_postgresql
def test_an_import_is_kept_with_the_person_who_imported(staff, well, zhongshan, zhongshan_unit):
    upload = inventory(well.code, "IMP-0001", township=zhongshan, unit=zhongshan_unit)

    response = api_as(staff).post(
        reverse("api:import-wells"), {"file": upload, "campaign": well.campaign_id}, format="multipart"
    )

    assert response.status_code == 200, response.content
    updated = latest(well)
    assert updated["actor"] == str(staff)
    assert ("village or community", "一村", "三村") in updated["changes"]
    created = Well.objects.get(code="IMP-0001")
    assert [(row["kind"], row["actor"]) for row in changes_of(created)] == [("created", str(staff))]


@on_postgresql
def test_a_task_closed_by_an_action_is_kept_with_its_before_and_after(officer, well, zhongshan_unit, notice):
    task = Task.objects.create(well=well, unit=zhongshan_unit, step=Step.NOTIFY, due_on=datetime.date(2023, 7, 1))

    with acting_as(officer):
        perform(well, Action.NOTIFY, actor=officer, data=notice, version=well.version)

    task.refresh_from_db()
    assert task.status != TaskStatus.OPEN
    change = latest(task)
    assert change["actor"] == str(officer)
    assert ("status", "Open", task.get_status_display()) in change["changes"]


@on_postgresql
def test_users_and_units_changed_in_the_admin_are_kept(client, admin_user, grid_unit):
    client.force_login(admin_user)
    change_url = reverse("admin:accounts_unit_change", args=[grid_unit.pk])

    response = client.post(change_url, {"name": grid_unit.name, "short_name": "供电公司", "kind": grid_unit.kind})

    assert response.status_code == 302
    change = latest(grid_unit)
    assert change["actor"] == str(admin_user)
    assert ("short name", "—", "供电公司") in change["changes"]


@on_postgresql
def test_a_deactivation_is_kept_and_no_password_hash_is(admin_user, officer):
    with acting_as(admin_user):
        User.objects.filter(pk=officer.pk).update(is_active=False)
    officer.refresh_from_db()
    officer.set_password("another-pass-2023")
    officer.save()

    history = changes_of(officer)

    assert history[0]["actor"] == str(admin_user)
    assert ("active", "True", "False") in history[0]["changes"]
    assert not hasattr(officer.history.model, "password")
    # A new password changes nothing the history keeps: no event for it.
    assert all(("password" not in str(row["changes"])) for row in history)


# Shown, never changed --------------------------------------------------------------


@on_postgresql
def test_the_well_page_shows_the_change_history(client, staff, well):
    with acting_as(staff):
        Well.objects.filter(pk=well.pk).update(responsible_person="李四")
    client.force_login(staff)

    page = client.get(reverse("wells:well", args=[well.code])).content.decode()

    assert 'data-testid="change-history"' in page
    assert f'data-testid="history-actor">{staff}<' in page
    assert "<del>张三</del> → <ins>李四</ins>" in page


@on_postgresql
def test_the_admin_shows_the_change_history_read_only(client, admin_user, well):
    with acting_as(admin_user):
        Well.objects.filter(pk=well.pk).update(responsible_person="李四")
    client.force_login(admin_user)

    page = client.get(reverse("admin:wells_well_change", args=[well.pk])).content.decode()

    assert "Change history" in page
    assert "<del>张三</del> → <ins>李四</ins>" in page
    assert 'name="change_history"' not in page


@on_postgresql
def test_the_history_cannot_be_changed_or_deleted_even_with_sql(well):
    Well.objects.filter(pk=well.pk).update(village="二村")
    history = well.history.model.objects.filter(pgh_obj=well)
    assert history.count() == 2

    for attempt in (lambda: history.update(village="伪造"), lambda: history.delete()):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()

    assert list(history.order_by("pgh_id").values_list("village", flat=True)) == ["一村", "二村"]


@on_postgresql
def test_a_well_deleted_outside_the_product_leaves_its_history(staff, zhongshan, campaign):
    doomed = WellFactory(code="GONE-1", township=zhongshan, campaign=campaign)
    history_model = doomed.history.model

    Well.objects.filter(pk=doomed.pk).delete()

    labels = list(
        history_model.objects.filter(pgh_obj_id=doomed.pk).order_by("pgh_id").values_list("pgh_label", "code")
    )
    assert labels == [("insert", "GONE-1"), ("delete", "GONE-1")]


# Archived, never deleted -------------------------------------------------------------


@pytest.fixture
def archived_by_admin(client, admin_user, well):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:wells_well_changelist"), {"action": "archive", ACTION_CHECKBOX_NAME: [well.pk]}
    )
    assert response.status_code == 302
    well.refresh_from_db()
    return well


def test_a_bureau_administrator_archives_a_well_and_it_stays(archived_by_admin, client):
    assert archived_by_admin.archived_at.astimezone(SHANGHAI).date() == datetime.date(2023, 6, 15)
    assert Well.objects.filter(pk=archived_by_admin.pk).exists()

    page = client.get(reverse("wells:well", args=[archived_by_admin.code])).content.decode()

    assert 'data-testid="archived"' in page
    assert "Archived on 2023-06-15" in page


@on_postgresql
def test_archiving_is_kept_in_the_history_with_who_did_it(archived_by_admin, admin_user):
    change = latest(archived_by_admin)

    assert change["actor"] == str(admin_user)
    assert change["changes"][0][0] == "archived at"


def test_an_archived_well_is_restored(archived_by_admin, client):
    # From the list of the archive, where the archived wells are.
    client.post(
        reverse("admin:wells_well_changelist") + "?archived=yes",
        {"action": "restore", ACTION_CHECKBOX_NAME: [archived_by_admin.pk]},
    )

    archived_by_admin.refresh_from_db()
    assert archived_by_admin.archived_at is None


@pytest.mark.parametrize("persona", ["officer", "leader"])
def test_only_bureau_roles_may_archive(client, persona, well, request):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(
        reverse("admin:wells_well_changelist"), {"action": "archive", ACTION_CHECKBOX_NAME: [well.pk]}
    )

    # Django's admin offers no action the user lacks, and refuses it.
    assert response.status_code in (200, 302, 403)
    well.refresh_from_db()
    assert well.archived_at is None


def test_bureau_staff_archive_a_well_too(client, staff, well):
    client.force_login(staff)

    client.post(reverse("admin:wells_well_changelist"), {"action": "archive", ACTION_CHECKBOX_NAME: [well.pk]})

    well.refresh_from_db()
    assert well.archived_at is not None


def test_no_page_api_or_admin_deletes_a_well(client, admin_user, well):
    client.force_login(admin_user)

    assert client.post(reverse("admin:wells_well_delete", args=[well.pk]), {"post": "yes"}).status_code == 403
    assert api_as(admin_user).delete(reverse("api:well-detail", kwargs={"code": well.code})).status_code == 405
    assert Well.objects.filter(pk=well.pk).exists()


# SQLite --------------------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor == "postgresql", reason="What the SQLite development default shows.")
def test_on_sqlite_the_page_shows_the_doors_records_and_no_trigger_history(client, staff, well):
    # Raw SQL, outside the doors: SQLite has no trigger to see it.
    Well.objects.filter(pk=well.pk).update(village="二村")
    change_facts(well, actor=staff, values={"responsible_person": "李四"}, version=1)
    client.force_login(staff)

    page = client.get(reverse("wells:well", args=[well.code])).content.decode()

    assert changes_of(well) == []
    history = page.split('data-testid="change-history"')[1]
    assert "李四" in history
    assert "二村" not in history
    assert Status.INVENTORIED in page
