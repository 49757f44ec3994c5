"""One door for every change (DESIGN §3): through each write path — the API's
PATCH, POST, transitions and inspections, the admin's change form, actions
and inspection page, the pages' forms, task completion — a change bumps the
well's version, a stale version is refused, and the well's history holds
one record with the change's before and after.

These run on SQLite and PostgreSQL alike (CI runs this file on both)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from accounts.choices import Role
from tasks.choices import Step, TaskStatus
from tasks.models import Task
from tests.api.helpers import png_bytes, url
from tests.api.test_tasks import NOTICE, photo
from tests.factories import UserFactory, WellFactory
from wellclosure import bulk
from wells import changes
from wells.choices import Action, AttachmentKind, Category, ChangeKind, InspectionResult, Status, Use
from wells.models import Well, WellChange, WellEvent
from wells.uploads import store_attachment
from wells.workflow import WorkflowError, perform


def history(api, user, well):
    response = api(user).get(url("well-history", code=well.code))
    assert response.status_code == 200, response.content
    return response.json()["results"]


# The API ----------------------------------------------------------------------


def test_a_patch_bumps_the_version_and_writes_one_history_record(api, staff, well):
    response = api(staff).patch(url("well-detail", code=well.code), {"version": 1, "village": "二村"}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["version"] == 2
    [record] = history(api, staff, well)
    assert record["kind"] == "facts"
    assert record["changes"] == {"village": ["一村", "二村"]}
    assert record["actor"] == str(staff)


def test_a_patch_holding_an_old_version_is_refused_with_409_and_changes_nothing(api, staff, well):
    changes.change_facts(well, actor=staff, values={"village": "二村"}, version=1)

    response = api(staff).patch(url("well-detail", code=well.code), {"version": 1, "village": "三村"}, format="json")

    assert response.status_code == 409
    assert response.json()["field"] == "version"
    assert Well.objects.get(pk=well.pk).village == "二村"
    assert WellChange.objects.filter(well=well).count() == 1


def test_a_patch_that_changes_nothing_writes_nothing(api, staff, well):
    response = api(staff).patch(url("well-detail", code=well.code), {"version": 1, "village": "一村"}, format="json")

    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert history(api, staff, well) == []


def test_the_replacement_supply_is_refused_by_patch_for_every_role(api, staff, officer, well):
    for user in (staff, officer):
        response = api(user).patch(
            url("well-detail", code=well.code), {"version": 1, "supply_connected_on": "2023-06-01"}, format="json"
        )
        assert response.status_code == 400
        assert "only through its task" in response.json()["supply_connected_on"][0]
    assert Well.objects.get(pk=well.pk).supply_connected_on is None


def test_an_officer_may_not_patch_facts_beyond_their_own(api, officer, well):
    response = api(officer).patch(url("well-detail", code=well.code), {"version": 1, "owner_name": "李四"})

    assert response.status_code == 403
    assert Well.objects.get(pk=well.pk).owner_name != "李四"


def test_a_well_created_by_post_has_its_record_and_its_tasks_at_once(api, people):
    staff = people["staff"]
    campaign = Well.objects.get(code="CJ-ZSL-01").campaign
    body = {
        "code": "CJ-NEW-01",
        "owner_name": "新取水户",
        "owner_kind": "person",
        "township": "zhongshanlu",
        "uses": ["domestic"],
        "responsible_unit": Well.objects.get(code="CJ-ZSL-01").responsible_unit_id,
        "campaign": campaign.pk,
        "category": "unlicensed",
        "deadline": "2023-11-30",
    }

    response = api(staff).post(url("well-list"), body, format="json")

    assert response.status_code == 201, response.content
    well = Well.objects.get(code="CJ-NEW-01")
    assert well.version == 1
    [record] = history(api, staff, well)
    assert record["kind"] == "facts"
    assert record["changes"]["owner_name"] == [None, "新取水户"]
    # No nightly job: the tasks are there in the same transaction.
    assert set(well.tasks.values_list("step", flat=True)) >= {Step.NOTIFY, Step.SUPPLY, Step.DISCONNECT}


def test_a_well_of_category_retained_is_created_retained_with_its_event(api, staff, zhongshan, campaign):
    body = {
        "code": "RET-01",
        "owner_name": "应急水源",
        "owner_kind": "institution",
        "township": zhongshan.code,
        "uses": ["emergency"],
        "responsible_unit": zhongshan.government_id,
        "campaign": campaign.pk,
        "category": "retained",
    }

    response = api(staff).post(url("well-list"), body, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "retained"
    assert list(WellEvent.objects.filter(well__code="RET-01").values_list("action", "to_status")) == [
        ("retain", "retained")
    ]
    summary = api(staff).get(url("stats-summary")).json()["totals"]
    assert (summary["retained"], summary["to_close"]) == (1, 0)


def test_a_transition_writes_its_event_and_a_history_record_of_kind_action(api, officer, well):
    response = api(officer).post(
        url("well-transitions", code=well.code), {"action": "notify", "version": 1, **NOTICE}, format="json"
    )
    stale = api(officer).post(
        url("well-transitions", code=well.code), {"action": "notify", "version": 1, **NOTICE}, format="json"
    )

    assert response.status_code == 200 and response.json()["version"] == 2
    assert stale.status_code == 409
    [record] = history(api, officer, well)
    assert record["kind"] == "action"
    assert record["changes"]["status"] == ["inventoried", "notified"]
    assert record["changes"]["comply_by"] == [None, "2023-06-10"]
    assert record["changes"]["action"] == [None, "notify"]


def test_an_inspection_bumps_the_version_and_a_stale_one_is_refused(api, officer, well):
    body = {"well": well.code, "inspected_on": "2023-06-14", "result": "intact", "note": "完好"}

    recorded = api(officer).post(url("inspection-list"), {**body, "version": 1}, format="json")
    stale = api(officer).post(url("inspection-list"), {**body, "version": 1}, format="json")

    assert recorded.status_code == 201, recorded.content
    assert stale.status_code == 409
    assert Well.objects.get(pk=well.pk).version == 2
    [record] = history(api, officer, well)
    assert record["kind"] == "inspection"
    assert record["changes"]["result"] == [None, "intact"]
    assert record["note"] == "完好"


def accepted_well(people):
    well = Well.objects.get(code="CJ-NBL-01")
    staff, admin = people["staff"], people["admin"]
    perform(well, Action.NOTIFY, actor=staff, data=NOTICE, version=None)
    if well.license_no:
        perform(well, Action.REVOKE_LICENSE, actor=staff, data={"revocation_no": "注1", "revoked_on": "2023-06-11"})
    well.refresh_from_db()
    if well.has_domestic_use:
        pytest.skip("the demo well chosen must not be domestic")
    perform(well, Action.DISCONNECT, actor=staff, data={"disconnected_on": "2023-06-12"})
    evidence = photo(well, staff)
    perform(
        well, Action.SEAL, actor=staff, data={"sealed_on": "2023-06-13", "method": "回填", "attachments": [evidence.pk]}
    )
    perform(well, Action.ACCEPT, actor=admin, data={"accepted_on": "2023-06-14", "inspectors": "王、李"})
    well.refresh_from_db()
    assert well.status == Status.ACCEPTED
    return well


def test_an_inspection_finding_reuse_needs_the_new_deadline_and_its_tasks_fall_due_by_it(api, people):
    well = accepted_well(people)
    body = {"well": well.code, "inspected_on": "2023-06-15", "result": "in_use", "version": well.version}

    refused = api(people["staff"]).post(url("inspection-list"), body, format="json")
    reactivated = api(people["staff"]).post(url("inspection-list"), {**body, "deadline": "2023-09-30"}, format="json")

    assert refused.status_code == 400 and refused.json()["field"] == "deadline"
    assert reactivated.status_code == 201, reactivated.content
    well.refresh_from_db()
    assert (well.status, well.deadline) == (Status.REACTIVATED, datetime.date(2023, 9, 30))
    due = set(well.tasks.open().values_list("due_on", flat=True))
    # Due by the new deadline, and none before the day the round began.
    assert max(due) == datetime.date(2023, 9, 30)
    assert min(due) >= datetime.date(2023, 6, 15)
    kinds = [record["kind"] for record in history(api, people["staff"], well)]
    assert kinds[:2] == ["action", "inspection"]


def test_a_reactivation_without_a_future_deadline_is_refused(people):
    well = accepted_well(people)
    for deadline in (None, "2023-06-15", "2023-01-01"):
        data = {"reason": "发现复用", **({"deadline": deadline} if deadline else {})}
        with pytest.raises(WorkflowError) as refused:
            perform(well, Action.REACTIVATE, actor=people["staff"], data=data, version=well.version)
        assert refused.value.field == "deadline"


# Task completion and the replacement supply -------------------------------------


def test_the_supply_task_records_the_supply_through_its_door(api, people):
    well = Well.objects.get(code="CJ-ZSL-01")
    task = well.tasks.get(step=Step.SUPPLY)
    evidence = photo(well, people["water"])

    stale = api(people["water"]).post(
        url("task-complete", pk=task.pk),
        {"version": 7, "supply_connected_on": "2023-06-05", "attachments": [evidence.pk]},
        format="json",
    )
    done = api(people["water"]).post(
        url("task-complete", pk=task.pk),
        {"version": 1, "supply_connected_on": "2023-06-05", "attachments": [evidence.pk]},
        format="json",
    )

    assert stale.status_code == 409
    assert done.status_code == 200, done.content
    well.refresh_from_db()
    assert (well.version, well.supply_connected_on) == (2, datetime.date(2023, 6, 5))
    [record] = history(api, people["staff"], well)
    assert record["kind"] == "supply"
    assert record["changes"]["supply_connected_on"] == [None, "2023-06-05"]
    assert record["changes"]["evidence"] == [None, [evidence.pk]]


def test_an_officer_may_not_complete_the_water_companys_supply_task(api, people):
    well = Well.objects.get(code="CJ-ZSL-01")
    task = well.tasks.get(step=Step.SUPPLY)
    evidence = photo(well, people["zhongshan"])

    response = api(people["zhongshan"]).post(
        url("task-complete", pk=task.pk),
        {"version": 1, "supply_connected_on": "2023-06-05", "attachments": [evidence.pk]},
        format="json",
    )

    assert response.status_code == 403
    assert "市清源水务有限责任公司" in response.json()["detail"]
    assert Well.objects.get(pk=well.pk).supply_connected_on is None
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_bureau_staff_may_complete_a_units_task_on_its_behalf(api, people):
    well = Well.objects.get(code="CJ-ZSL-01")
    task = well.tasks.get(step=Step.SUPPLY)
    evidence = photo(well, people["staff"])

    response = api(people["staff"]).post(
        url("task-complete", pk=task.pk),
        {"version": 1, "supply_connected_on": "2023-06-05", "attachments": [evidence.pk]},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert Task.objects.get(pk=task.pk).status == TaskStatus.DONE


# Photos -------------------------------------------------------------------------


def test_a_pdf_uploaded_as_a_photo_does_not_count_as_the_sealing_photo(staff, well):
    perform(well, Action.NOTIFY, actor=staff, data=NOTICE, version=1)
    perform(well, Action.DISCONNECT, actor=staff, data={"disconnected_on": "2023-06-12"}, version=2)
    pdf = SimpleUploadedFile("photo.pdf", b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    document = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=pdf, uploaded_by=staff)
    assert document.content_type == "application/pdf"

    with pytest.raises(WorkflowError) as refused:
        perform(
            well,
            Action.SEAL,
            actor=staff,
            data={"sealed_on": "2023-06-13", "method": "回填", "attachments": [document.pk]},
            version=3,
        )

    assert refused.value.field == "attachments"
    image = store_attachment(
        well=well,
        kind=AttachmentKind.PHOTO,
        upload=SimpleUploadedFile("seal.png", png_bytes()),
        uploaded_by=staff,
    )
    perform(
        well, Action.SEAL, actor=staff, data={"sealed_on": "2023-06-13", "method": "回填", "attachments": [image.pk]}
    )
    assert Well.objects.get(pk=well.pk).status == Status.SEALED


# Archive and restore ---------------------------------------------------------------


def test_archive_and_restore_need_a_bureau_role_a_reason_and_the_version(api, staff, officer, leader, well):
    archive = url("well-archive", code=well.code)

    assert api(officer).post(archive, {"version": 1, "reason": "重复"}, format="json").status_code == 403
    assert api(leader).post(archive, {"version": 1, "reason": "重复"}, format="json").status_code == 403
    assert api(staff).post(archive, {"version": 1}, format="json").status_code == 400
    assert api(staff).post(archive, {"version": 9, "reason": "重复"}, format="json").status_code == 409
    archived = api(staff).post(archive, {"version": 1, "reason": "重复登记"}, format="json")
    again = api(staff).post(archive, {"version": 2, "reason": "重复登记"}, format="json")
    restored = api(staff).post(url("well-restore", code=well.code), {"version": 2, "reason": "误归档"}, format="json")

    assert archived.status_code == 200, archived.content
    assert again.status_code == 400
    assert restored.status_code == 200 and restored.json()["version"] == 3
    kinds = [(record["kind"], record["note"]) for record in history(api, staff, well)]
    assert kinds == [("restore", "误归档"), ("archive", "重复登记")]


def test_an_archived_well_refuses_every_action_and_fact_change(api, staff, admin_user, well):
    changes.archive_well(well, actor=staff, reason="重复", version=1)

    notify = api(staff).post(
        url("well-transitions", code=well.code), {"action": "notify", "version": 2, **NOTICE}, format="json"
    )
    patch = api(admin_user).patch(url("well-detail", code=well.code), {"version": 2, "village": "二村"}, format="json")
    inspect = api(staff).post(
        url("inspection-list"),
        {"well": well.code, "inspected_on": "2023-06-14", "result": "intact", "version": 2},
        format="json",
    )

    assert notify.status_code == 400 and "archived" in notify.json()["detail"]
    assert patch.status_code == 400 and "archived" in patch.json()["detail"]
    # The archive is out of every list, so an inspection cannot even name it.
    assert inspect.status_code == 400
    assert Well.objects.get(pk=well.pk).version == 2


def test_an_archived_well_is_404_for_an_officer_and_readable_by_the_bureau(api, staff, officer, well):
    changes.archive_well(well, actor=staff, reason="重复", version=1)

    assert api(officer).get(url("well-detail", code=well.code)).status_code == 404
    assert api(staff).get(url("well-detail", code=well.code)).status_code == 200


def test_archiving_cancels_the_open_tasks_and_restoring_brings_them_back(people):
    well = Well.objects.get(code="CJ-ZSL-01")
    open_before = sorted(well.tasks.open().values_list("step", flat=True))
    assert open_before

    changes.archive_well(well, actor=people["staff"], reason="重复", version=well.version)
    assert well.tasks.open().count() == 0
    assert Task.objects.visible_to(people["staff"]).filter(well=well).count() == 0

    changes.restore_well(well, actor=people["staff"], reason="误归档", version=well.version + 1)
    assert sorted(well.tasks.open().values_list("step", flat=True)) == open_before


def test_archived_wells_leave_lists_summary_tally_export_and_map(api, client, staff, zhongshan, campaign):
    from wells import tally

    kept = WellFactory(township=zhongshan, campaign=campaign)
    gone = WellFactory(township=zhongshan, campaign=campaign)
    changes.archive_well(gone, actor=staff, reason="重复", version=1)

    codes = [row["code"] for row in api(staff).get(url("well-list")).json()["results"]]
    archive_codes = [row["code"] for row in api(staff).get(url("well-list"), {"archived": "true"}).json()["results"]]
    summary = api(staff).get(url("stats-summary")).json()["totals"]
    campaign_summary = api(staff).get(url("stats-summary"), {"campaign": campaign.pk}).json()["totals"]

    assert codes == [kept.code]
    assert archive_codes == [gone.code]
    assert summary["total"] == 1 and campaign_summary["total"] == 1
    assert tally.differences() == []
    client.force_login(staff)
    export = client.get(url("export-wells"))
    assert export.status_code == 200
    assert gone.code.encode() not in b"".join(export.streaming_content)
    dashboard = client.get("/dashboard/", {"campaign": campaign.pk})
    assert dashboard.status_code == 200
    assert gone.code not in dashboard.content.decode()

    from tasks.reports import work_report_figures

    report = work_report_figures(Well.objects.visible_to(staff), campaign, datetime.date(2023, 6, 15))
    assert report.total == 1

    changes.restore_well(gone, actor=staff, reason="误归档", version=2)
    assert api(staff).get(url("stats-summary")).json()["totals"]["total"] == 2
    assert work_report_figures(Well.objects.visible_to(staff), campaign, datetime.date(2023, 6, 15)).total == 2
    assert tally.differences() == []


# The admin ------------------------------------------------------------------------


def admin_change(client, well, **values):
    """POST the admin change form of ``well`` with its current values and
    ``values`` over them."""
    from django.forms.models import model_to_dict

    data = {
        key: ("" if value is None else value)
        for key, value in model_to_dict(well).items()
        if key not in {"id", "status", "version", "enforced", "comply_by", "review_on", "accepted_on"}
    }
    data["uses"] = list(well.uses)
    data["archived_at"] = ""
    data.update(values)
    for prefix in ("attachments", "events"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    return client.post(f"/admin/wells/well/{well.pk}/change/", {k: v for k, v in data.items() if v is not None})


def test_the_admin_change_form_saves_through_the_door_with_its_version(client, admin_user, well):
    client.force_login(admin_user)

    response = admin_change(client, well, village="二村", read_version=1)

    assert response.status_code == 302, response.content.decode()[:3000]
    well.refresh_from_db()
    assert (well.village, well.version) == ("二村", 2)
    record = WellChange.objects.get(well=well)
    assert (record.kind, record.changes) == (ChangeKind.FACTS, {"village": ["一村", "二村"]})


def test_the_admin_change_form_read_before_an_api_change_is_refused(api, client, admin_user, staff, well):
    client.force_login(admin_user)
    api(staff).patch(url("well-detail", code=well.code), {"version": 1, "village": "API村"}, format="json")

    response = admin_change(client, well, village="后台村", read_version=1)

    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode() or "已被他人修改" in response.content.decode()
    assert Well.objects.get(pk=well.pk).village == "API村"


def test_an_admin_save_bumps_the_version_so_an_older_api_patch_is_refused(api, client, admin_user, staff, well):
    client.force_login(admin_user)
    assert admin_change(client, well, village="后台村", read_version=1).status_code == 302

    response = api(staff).patch(url("well-detail", code=well.code), {"version": 1, "village": "API村"}, format="json")

    assert response.status_code == 409
    assert Well.objects.get(pk=well.pk).village == "后台村"


def test_the_admin_archive_action_goes_through_the_door(client, admin_user, well):
    client.force_login(admin_user)

    response = client.post(
        "/admin/wells/well/", {"action": "archive", "_selected_action": [well.pk], "index": 0}, follow=True
    )

    assert response.status_code == 200
    well.refresh_from_db()
    assert well.archived_at is not None and well.version == 2
    assert WellChange.objects.get(well=well).kind == ChangeKind.ARCHIVE


def test_an_inspection_recorded_in_the_admin_reactivates_an_accepted_well(client, people):
    well = accepted_well(people)
    client.force_login(people["admin"])
    data = {"well": well.pk, "inspected_on": "2023-06-15", "result": InspectionResult.IN_USE, "note": "抽水"}

    refused = client.post("/admin/wells/inspection/add/", data, follow=True)
    assert Well.objects.get(pk=well.pk).status == Status.ACCEPTED
    assert "new deadline" in refused.content.decode() or "新的限期" in refused.content.decode()

    done = client.post("/admin/wells/inspection/add/", {**data, "deadline": "2023-10-31"})

    assert done.status_code == 302
    well.refresh_from_db()
    assert (well.status, well.deadline) == (Status.REACTIVATED, datetime.date(2023, 10, 31))
    assert list(WellChange.objects.filter(well=well).order_by("-pk").values_list("kind", flat=True)[:2]) == [
        ChangeKind.ACTION,
        ChangeKind.INSPECTION,
    ]


# The pages ------------------------------------------------------------------------


def test_the_inspection_page_refuses_a_stale_version_and_keeps_what_was_typed(client, officer, staff, well):
    client.force_login(officer)
    changes.change_facts(well, actor=staff, values={"village": "二村"}, version=1)
    data = {"inspected_on": "2023-06-14", "result": "intact", "note": "完好无损", "version": 1}

    stale = client.post(f"/well/{well.code}/inspection/", data)
    again = client.post(f"/well/{well.code}/inspection/", {**data, "version": 2})

    assert stale.status_code == 400
    assert "完好无损" in stale.content.decode()
    assert again.status_code == 302
    assert Well.objects.get(pk=well.pk).version == 3
    assert WellChange.objects.filter(well=well, kind=ChangeKind.INSPECTION).count() == 1


def test_the_action_page_writes_the_record_and_refuses_a_stale_version(client, officer, staff, well):
    client.force_login(officer)
    stale_version = well.version
    changes.change_facts(well, actor=staff, values={"village": "二村"}, version=1)

    refused = client.post(f"/well/{well.code}/action/notify/", {**NOTICE, "version": stale_version})
    done = client.post(f"/well/{well.code}/action/notify/", {**NOTICE, "version": 2})

    assert refused.status_code in (400, 409, 200)
    assert "changed by someone else" in refused.content.decode() or "他人" in refused.content.decode()
    assert done.status_code == 302
    well.refresh_from_db()
    assert (well.status, well.version) == (Status.NOTIFIED, 3)
    assert WellChange.objects.filter(well=well, kind=ChangeKind.ACTION).count() == 1


def test_the_well_page_shows_the_history_in_words(client, staff, well):
    changes.change_facts(well, actor=staff, values={"village": "二村", "uses": [Use.DOMESTIC]}, version=1)
    client.force_login(staff)

    page = client.get(f"/well/{well.code}/").content.decode()

    assert 'data-testid="history-row"' in page
    assert "一村" in page and "二村" in page
    assert "[" not in page.split('data-testid="change-history"')[1].split("</details>")[0]


def test_a_unit_member_sees_an_archived_wells_tasks_no_more(api, people):
    well = Well.objects.get(code="CJ-ZSL-01")
    grid = people["grid"]
    assert api(grid).get(url("well-detail", code=well.code)).status_code == 200

    changes.archive_well(well, actor=people["staff"], reason="重复", version=well.version)

    assert api(grid).get(url("well-detail", code=well.code)).status_code == 404
    assert well.code not in str(api(grid).get(url("task-list")).json())


def test_only_the_doors_write_a_well(staff, well):
    """The suite's guard (tests/one_door.py) fails any write to the wells
    table from code outside the doors: here, one made as if from a view."""
    from tests.one_door import ROOT, WellWrittenOutsideTheDoors

    source = "Well.objects.filter(pk=pk).update(village='偷改')"
    code = compile(source, str(ROOT / "wells" / "views.py"), "exec")

    with pytest.raises(WellWrittenOutsideTheDoors, match="wells/views.py"), transaction.atomic():
        exec(code, {"Well": Well, "pk": well.pk})
    assert Well.objects.get(pk=well.pk).village == "一村"


def test_the_guard_sees_a_bulk_insert_of_wells_outside_the_doors(staff, well):
    """wellclosure.bulk inserts with COPY on PostgreSQL, past Django's
    execute wrappers: the guard still names the code that called it."""
    from tests.one_door import ROOT, WellWrittenOutsideTheDoors

    copy = Well.objects.get(pk=well.pk)
    copy.pk, copy.code = None, "CJ-BULK-01"
    source = "bulk.insert(Well, [copy])"
    code = compile(source, str(ROOT / "wells" / "views.py"), "exec")

    with pytest.raises(WellWrittenOutsideTheDoors, match="wells/views.py"), transaction.atomic():
        exec(code, {"bulk": bulk, "Well": Well, "copy": copy})
    assert not Well.objects.filter(code="CJ-BULK-01").exists()


def test_the_role_table_of_the_doors(staff, officer, member, leader, well):
    assert changes.editable_fields(staff) == changes.FACT_FIELDS
    assert changes.editable_fields(officer) == {"responsible_person", "lat", "lng", "note"}
    assert changes.editable_fields(member) == frozenset()
    assert changes.editable_fields(leader) == frozenset()
    assert "supply_connected_on" not in changes.FACT_FIELDS
    assert {"status", "version", "archived_at", "accepted_on"}.isdisjoint(changes.FACT_FIELDS)
    with pytest.raises(WorkflowError) as refused:
        changes.change_facts(well, actor=leader, values={"note": "看看"}, version=1)
    assert refused.value.code == WorkflowError.FORBIDDEN


def test_a_created_well_of_a_township_unit_member_scope(api, people):
    """A member unit's scope is the tasks app's rule, registered with the
    scope module: a new well with a grid task is in the grid's scope at once."""
    campaign = Well.objects.get(code="CJ-ZSL-01").campaign
    grid = people["grid"]
    well = changes.create_well(
        actor=people["staff"],
        values={
            "code": "CJ-NEW-02",
            "owner_name": "新户",
            "owner_kind": "person",
            "township": Well.objects.get(code="CJ-ZSL-01").township,
            "uses": [Use.IRRIGATION],
            "responsible_unit": Well.objects.get(code="CJ-ZSL-01").responsible_unit,
            "campaign": campaign,
            "category": Category.UNLICENSED,
            "deadline": datetime.date(2023, 11, 30),
        },
    )

    assert Well.objects.visible_to(grid).filter(pk=well.pk).exists()
    assert UserFactory(username="nobody", role=Role.UNIT_MEMBER).unit_id is None


def test_a_category_changed_to_or_from_retained_is_refused_naming_the_action(api, staff, well):
    to_retained = api(staff).patch(
        url("well-detail", code=well.code), {"version": 1, "category": "retained", "note": "应急"}, format="json"
    )

    assert to_retained.status_code == 400
    assert to_retained.json()["field"] == "category"
    assert "retain action" in to_retained.json()["detail"]
    assert Well.objects.get(pk=well.pk).category == Category.UNLICENSED
    licensed = api(staff).patch(url("well-detail", code=well.code), {"version": 1, "category": "licensed"})
    assert licensed.status_code == 200
