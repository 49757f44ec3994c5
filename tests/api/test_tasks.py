"""The work ledger: tasks from the plan's duties, kept in step with each
well's lifecycle, completed by the units that own them, reminders."""

import datetime

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from accounts.models import Unit
from tasks.choices import NotificationKind, Step, TaskStatus
from tasks.models import Notification, Task
from tasks.reminders import send_reminders
from tasks.services import inspections_due, reconcile
from tests.api.helpers import SHANGHAI, TODAY, png_bytes, url
from wells.choices import Action, AttachmentKind, Status
from wells.models import Well, WellEvent
from wells.uploads import store_attachment
from wells.workflow import WorkflowError, perform

# A township's own notice, its comply-by date passed at the clock's 2023-06-15.
NOTICE = {"notice_no": "中街关字〔2023〕1号", "served_on": "2023-06-01", "comply_by": "2023-06-10"}

# The demo's tasks whose due date has passed at the clock's 2023-06-15: every
# step of the four wells due 2022-11-30 (revoke only where there is a licence,
# supply only for the domestic ones) ...
LATE_WELLS = ["CJ-BH-01", "CJ-JGL-01", "CJ-SW-01", "CJ-ZSL-09"]
LATE_WELLS_TASKS = (
    {(code, step) for code in LATE_WELLS for step in ("notify", "disconnect", "seal", "accept")}
    | {("CJ-BH-01", "revoke_license"), ("CJ-SW-01", "revoke_license"), ("CJ-ZSL-09", "revoke_license")}
    | {("CJ-BH-01", "supply"), ("CJ-JGL-01", "supply")}
)
# ... and the notice of the 21 wells due 2023-11-30, due 2023-06-03.
NOTICES_DUE_2023_06_03 = {
    *[(f"CJ-MEG-{n:02d}", "notify") for n in range(1, 4)],
    *[(f"CJ-NBL-{n:02d}", "notify") for n in range(1, 11)],
    *[(f"CJ-ZSL-{n:02d}", "notify") for n in range(1, 9)],
}


def photo(well, user):
    upload = SimpleUploadedFile("seal.png", png_bytes(), content_type="image/png")
    return store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=upload, uploaded_by=user)


def open_steps(well):
    return sorted(well.tasks.open().values_list("step", flat=True))


# Generating tasks --------------------------------------------------------------


def test_the_changji_demo_gives_each_unit_its_steps(people):
    def count(unit, step):
        return Task.objects.filter(unit__name=unit, step=step).count()

    # 25 wells to close; the 11 retained wells get no tasks.
    assert Task.objects.filter(well__status=Status.RETAINED).count() == 0
    assert count("中山路街道办事处", Step.NOTIFY) == 9
    assert count("宁边路街道办事处", Step.NOTIFY) == 10
    assert count("昌吉市水利局", Step.NOTIFY) == 1  # 西部热力, under the bureau
    assert count("国网昌吉供电公司客户服务中心", Step.DISCONNECT) == 25
    assert count("市经济发展投资有限责任公司", Step.SEAL) == 25
    assert count("昌吉市水利局", Step.ACCEPT) == 25
    # Licences to revoke only where there is one (three of the 25 wells hold
    # one); the water company only for domestic wells.
    revoking = Task.objects.filter(unit__name="昌吉市水利局", step=Step.REVOKE_LICENSE)
    assert set(revoking.values_list("well__code", flat=True)) == {"CJ-BH-01", "CJ-SW-01", "CJ-ZSL-09"}
    assert set(Well.objects.exclude(license_no="").exclude(status=Status.RETAINED).values_list("code", flat=True)) == {
        "CJ-BH-01",
        "CJ-SW-01",
        "CJ-ZSL-09",
    }
    domestic = Well.objects.with_use("domestic").exclude(status=Status.RETAINED).count()
    assert count("市清源水务有限责任公司", Step.SUPPLY) == domestic == 8


def test_due_dates_count_back_from_the_wells_deadline(people):
    well = Well.objects.get(code="CJ-NBL-01")
    due = dict(well.tasks.values_list("step", "due_on"))
    assert well.deadline == datetime.date(2023, 11, 30)
    assert due[Step.ACCEPT] == datetime.date(2023, 11, 30)
    assert due[Step.SEAL] == datetime.date(2023, 10, 31)
    assert due[Step.NOTIFY] == datetime.date(2023, 6, 3)


# Completing tasks through the lifecycle -------------------------------------------


def test_the_grid_company_completing_its_task_cuts_the_power_with_one_event(people, api):
    well = Well.objects.get(code="CJ-NBL-01")  # unlicensed irrigation well
    perform(well, Action.NOTIFY, actor=people["ningbian"], data=NOTICE, version=1)
    task = well.tasks.get(step=Step.DISCONNECT)

    response = api(people["grid"]).post(
        url("task-complete", pk=task.pk), {"version": 2, "disconnected_on": "2023-06-12"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["status"] == TaskStatus.DONE
    well.refresh_from_db()
    assert well.status == Status.DISCONNECTED
    event = well.events.get(action=Action.DISCONNECT)
    assert event.actor == people["grid"]
    assert WellEvent.objects.filter(well=well).count() == 2
    task.refresh_from_db()
    assert task.event == event and task.completed_by == people["grid"]


def test_an_action_taken_by_someone_else_completes_the_units_task_too(people):
    well = Well.objects.get(code="CJ-NBL-02")
    perform(well, Action.NOTIFY, actor=people["ningbian"], data=NOTICE, version=1)
    perform(well, Action.DISCONNECT, actor=people["ningbian"], data={"disconnected_on": "2023-06-12"}, version=2)

    task = well.tasks.get(step=Step.DISCONNECT)
    assert task.status == TaskStatus.DONE
    assert task.completed_by == people["ningbian"]


def test_a_member_unit_may_not_act_without_an_open_task_of_that_step(people):
    well = Well.objects.get(code="CJ-NBL-03")
    perform(well, Action.NOTIFY, actor=people["ningbian"], data=NOTICE, version=1)

    with pytest.raises(WorkflowError) as refused:
        perform(well, Action.DISCONNECT, actor=people["backfill"], data={"disconnected_on": "2023-06-12"}, version=2)

    assert refused.value.code == WorkflowError.FORBIDDEN
    assert Well.objects.get(pk=well.pk).status == Status.NOTIFIED


def test_a_revert_reopens_the_task_it_undid(people):
    well = Well.objects.get(code="CJ-NBL-04")
    perform(well, Action.NOTIFY, actor=people["ningbian"], data=NOTICE, version=1)
    assert Step.NOTIFY not in open_steps(well)

    perform(well, Action.REVERT, actor=people["admin"], data={"reason": "通知书填错"}, version=2)

    assert Step.NOTIFY in open_steps(well)
    assert well.tasks.filter(step=Step.NOTIFY).count() == 1


def test_the_water_company_records_the_replacement_supply_that_disconnect_waits_for(people, api):
    well = Well.objects.get(code="CJ-ZSL-01")  # domestic
    assert well.has_domestic_use and not well.license_no
    perform(well, Action.NOTIFY, actor=people["zhongshan"], data=NOTICE, version=1)
    with pytest.raises(WorkflowError):
        perform(well, Action.DISCONNECT, actor=people["zhongshan"], data={"disconnected_on": "2023-06-12"}, version=2)
    task = well.tasks.get(step=Step.SUPPLY)
    client = api(people["water"])

    no_evidence = client.post(
        url("task-complete", pk=task.pk), {"version": 2, "supply_connected_on": "2023-06-05"}, format="json"
    )
    evidence = photo(well, people["water"])
    done = client.post(
        url("task-complete", pk=task.pk),
        {"version": 2, "supply_connected_on": "2023-06-05", "attachments": [evidence.pk]},
        format="json",
    )

    assert no_evidence.status_code == 400 and no_evidence.json()["field"] == "attachments"
    assert done.status_code == 200, done.content
    well.refresh_from_db()
    assert well.supply_connected_on == datetime.date(2023, 6, 5) and well.version == 3
    perform(well, Action.DISCONNECT, actor=people["zhongshan"], data={"disconnected_on": "2023-06-12"}, version=3)
    assert Well.objects.get(pk=well.pk).status == Status.DISCONNECTED


def walk_to_sealed(well, people, sealer):
    perform(well, Action.NOTIFY, actor=people["ningbian"], data=NOTICE, version=well.version)
    well.refresh_from_db()
    perform(well, Action.DISCONNECT, actor=people["grid"], data={"disconnected_on": "2023-06-12"}, version=well.version)
    well.refresh_from_db()
    seal = {"sealed_on": "2023-06-14", "method": "回填封井", "attachments": [photo(well, sealer).pk]}
    perform(well, Action.SEAL, actor=sealer, data=seal, version=well.version)
    well.refresh_from_db()
    return well


ACCEPT = {"accepted_on": "2023-06-15", "inspectors": "陈**、王**"}


def test_accept_is_refused_while_a_task_is_open(people):
    # The supply date was typed in by the township, but the water company
    # never recorded the connection with its evidence: its task stays open.
    well = Well.objects.get(code="CJ-ZSL-02")
    assert well.has_domestic_use
    Well.objects.filter(pk=well.pk).update(supply_connected_on=datetime.date(2023, 6, 1))
    well.refresh_from_db()
    people["ningbian"] = people["zhongshan"]
    well = walk_to_sealed(well, people, people["backfill"])

    with pytest.raises(WorkflowError) as refused:
        perform(well, Action.ACCEPT, actor=people["staff"], data=ACCEPT, version=well.version)

    assert "市清源水务有限责任公司" in refused.value.message
    assert Well.objects.get(pk=well.pk).status == Status.SEALED
    assert open_steps(well) == [Step.ACCEPT, Step.SUPPLY]


def test_accept_is_refused_for_the_person_who_recorded_the_sealing(people):
    well = walk_to_sealed(Well.objects.get(code="CJ-NBL-06"), people, people["staff"])

    with pytest.raises(WorkflowError) as refused:
        perform(well, Action.ACCEPT, actor=people["staff"], data=ACCEPT, version=well.version)
    assert refused.value.code == WorkflowError.FORBIDDEN

    perform(well, Action.ACCEPT, actor=people["admin"], data=ACCEPT, version=well.version)
    assert Well.objects.get(pk=well.pk).status == Status.ACCEPTED
    assert open_steps(well) == []


def test_an_inspection_finding_reuse_reactivates_the_well_and_opens_a_new_round(people, api):
    well = walk_to_sealed(Well.objects.get(code="CJ-NBL-07"), people, people["backfill"])
    perform(well, Action.ACCEPT, actor=people["staff"], data=ACCEPT, version=well.version)

    response = api(people["ningbian"]).post(
        url("inspection-list"),
        {
            "well": well.code,
            "inspected_on": "2023-06-15",
            "result": "in_use",
            "note": "水泵已重新安装",
            "deadline": "2023-12-31",
        },
        format="json",
    )

    assert response.status_code == 201, response.content
    well.refresh_from_db()
    assert well.status == Status.REACTIVATED
    assert Step.NOTIFY in open_steps(well)
    # The first round's tasks stay done, as history.
    assert well.tasks.filter(step=Step.NOTIFY, status=TaskStatus.DONE).count() == 1


def test_a_new_round_after_reuse_is_never_due_before_the_day_it_opened(people, api):
    well = walk_to_sealed(Well.objects.get(code="CJ-NBL-07"), people, people["backfill"])
    perform(well, Action.ACCEPT, actor=people["staff"], data=ACCEPT, version=well.version)
    inspection = {"well": well.code, "inspected_on": "2023-06-15", "result": "in_use", "deadline": "2023-07-31"}

    assert api(people["ningbian"]).post(url("inspection-list"), inspection, format="json").status_code == 201

    # The plan puts the notice 180 days before 2023-07-31, in February: the
    # new round's notice falls due today, and stays so after the daily job.
    notice = well.tasks.get(step=Step.NOTIFY, status=TaskStatus.OPEN)
    assert (notice.due_on, notice.due_not_before) == (TODAY, TODAY)
    call_command("reschedule_tasks")
    notice.refresh_from_db()
    assert notice.due_on == TODAY


def test_a_retained_well_has_its_open_tasks_cancelled(people):
    well = Well.objects.get(code="CJ-NBL-08")
    perform(well, Action.RETAIN, actor=people["staff"], data={"reason": "应急", "review_on": "2024-06-30"}, version=1)

    assert open_steps(well) == []
    assert well.tasks.filter(status=TaskStatus.CANCELLED).count() == 4


def test_reconcile_is_idempotent(people):
    well = Well.objects.get(code="CJ-ZSL-02")
    before = list(well.tasks.values_list("pk", "status"))
    reconcile(well)
    reconcile(well)
    assert list(well.tasks.values_list("pk", "status")) == before


# Scope -----------------------------------------------------------------------------


def test_a_member_unit_sees_only_its_own_tasks_and_their_wells(people, api):
    client = api(people["grid"])
    tasks = client.get(url("task-list"), {"status": "open"}).json()["results"]
    other = Task.objects.filter(step=Step.SEAL).first()

    assert {t["unit_name"] for t in tasks} == {"国网昌吉供电公司客户服务中心"}
    assert client.get(url("task-detail", pk=other.pk)).status_code == 404
    assert client.get(url("well-detail", code="CJ-NBL-01")).status_code == 200
    assert client.get(url("well-detail", code="CJ-YJ-01")).status_code == 404  # retained: no task


def test_an_officer_gets_404_for_another_townships_task(people, api):
    task = Task.objects.filter(well__code="CJ-NBL-01").first()
    assert api(people["zhongshan"]).get(url("task-detail", pk=task.pk)).status_code == 404
    assert api(people["zhongshan"]).post(url("task-complete", pk=task.pk), {"version": 1}).status_code == 404


def test_a_member_may_not_complete_another_units_task_on_a_shared_well(people, api):
    task = Task.objects.get(well__code="CJ-NBL-01", step=Step.SEAL)
    response = api(people["grid"]).post(url("task-complete", pk=task.pk), {"version": 1}, format="json")
    assert response.status_code == 404


# Filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"unit": "UNIT:国网昌吉供电公司客户服务中心"}, 25),
        ({"step": "supply"}, 8),
        ({"status": "done"}, 0),
    ],
)
def test_task_filters(people, api, params, expected):
    if "unit" in params:
        params = {"unit": Unit.objects.get(name=params["unit"].removeprefix("UNIT:")).pk}
    found = api(people["staff"]).get(url("task-list"), {**params, "page_size": 500}).json()
    assert len(found["results"]) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"overdue": "true"}, LATE_WELLS_TASKS | NOTICES_DUE_2023_06_03),
        ({"due_before": "2023-01-01"}, LATE_WELLS_TASKS),
    ],
    ids=["overdue", "due_before"],
)
def test_the_date_filters_find_exactly_the_tasks_due_by_then(people, api, params, expected):
    found = api(people["staff"]).get(url("task-list"), {**params, "page_size": 500}).json()

    tasks = [(task["well"], task["step"]) for task in found["results"]]
    assert sorted(tasks) == sorted(expected)


def test_a_bad_task_filter_is_a_400(people, api):
    response = api(people["staff"]).get(url("task-list"), {"due_before": "yesterday", "status": "nope"})
    assert response.status_code == 400
    assert set(response.json()) == {"due_before", "status"}


def test_the_task_list_does_not_grow_queries_with_rows(people, api, django_assert_max_num_queries):
    client = api(people["staff"])
    # token user, groups (role), tasks page, evidence prefetch
    with django_assert_max_num_queries(6):
        response = client.get(url("task-list"), {"page_size": 500})
    assert len(response.json()["results"]) == 111


def test_the_overview_counts_open_and_overdue_tasks_per_unit(people, api):
    rows = api(people["staff"]).get(url("task-overview")).json()
    grid = next(r for r in rows if r["unit_name"] == "国网昌吉供电公司客户服务中心")
    # A power cut for each of the 25 wells; late for the four due 2022-11-30.
    assert (grid["total"], grid["open"], grid["overdue"]) == (25, 25, 4)


# Reminders ----------------------------------------------------------------------------


def test_reminders_go_to_the_right_units_once_a_day_and_escalate(people, time_machine, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # 2022-11-20: nothing is done yet. The notices (due 180 days before
    # each deadline) can be served and are overdue; the seals (due 10-31 for
    # the 2022-11-30 wells) are overdue too, but cannot be taken yet.
    time_machine.move_to(datetime.datetime(2022, 11, 20, 8, 0, tzinfo=SHANGHAI))
    today = datetime.date(2022, 11, 20)

    first = send_reminders(today)
    second = send_reminders(today)

    assert first > 0 and second == 0
    # The investment company hears of no seal: none can be taken yet.
    assert not Notification.objects.filter(recipient=people["backfill"]).exists()
    overdue = Notification.objects.filter(kind=NotificationKind.OVERDUE)
    assert set(overdue.filter(recipient=people["zhongshan"]).values_list("task__well__code", "task__step")) == {
        ("CJ-ZSL-09", Step.NOTIFY)  # 中山路's one well due 2022-11-30
    }
    escalated = Notification.objects.filter(kind=NotificationKind.ESCALATED)
    assert set(escalated.values_list("recipient__username", flat=True)) == {"admin", "staff"}
    assert {n.task.due_on < today - datetime.timedelta(days=7) for n in escalated} == {True}
    # The bureau's own late notice (CJ-SW-01) is in its people's digest once,
    # as their own overdue step, not again as an escalation.
    bureau_own = Notification.objects.filter(recipient=people["staff"], task__well__code="CJ-SW-01")
    assert list(bureau_own.values_list("task__step", "kind")) == [(Step.NOTIFY, NotificationKind.OVERDUE)]
    # One digest per person with an address, and none on the second run.
    assert len({m.to[0] for m in mail.outbox}) == len(mail.outbox)
    assert "qingyuan@x.cn" in {m.to[0] for m in mail.outbox}  # the supply of the domestic wells

    tomorrow = send_reminders(today + datetime.timedelta(days=1))
    assert tomorrow > 0


def test_a_task_due_within_the_reminder_window_is_announced_as_due_soon(people):
    well = Well.objects.get(code="CJ-NBL-09")
    task = well.tasks.get(step=Step.NOTIFY)
    send_reminders(task.due_on - datetime.timedelta(days=3))

    note = Notification.objects.get(recipient=people["ningbian"], task=task)
    assert note.kind == NotificationKind.DUE_SOON
    assert "CJ-NBL-09" in note.message


def test_notifications_list_counts_unread_and_marks_read(people, api):
    send_reminders(datetime.date(2023, 6, 15))
    client = api(people["zhongshan"])
    listed = client.get(url("notification-list")).json()
    # 中山路's nine notices are overdue and can be served.
    assert listed["unread"] == 9

    client.post(url("notification-mark-read"))

    assert client.get(url("notification-list")).json()["unread"] == 0


# Post-closure supervision, milestones, publicity -------------------------------------------


def test_an_accepted_well_is_due_for_inspection_after_the_period(people, time_machine):
    well = walk_to_sealed(Well.objects.get(code="CJ-NBL-10"), people, people["backfill"])
    perform(well, Action.ACCEPT, actor=people["staff"], data=ACCEPT, version=well.version)
    wells = Well.objects.all()
    assert well not in inspections_due(wells, TODAY)

    later = TODAY + datetime.timedelta(days=91)
    time_machine.move_to(datetime.datetime(2023, 9, 14, 10, 0, tzinfo=SHANGHAI))
    assert list(inspections_due(wells, later)) == [Well.objects.get(pk=well.pk)]


def test_milestones_show_the_plans_phases_and_their_state(people, api):
    client = api(people["staff"])
    phases = client.get(url("milestone-list"), {"campaign": 1}).json()
    assert [p["name"] for p in phases] == ["体系建立", "宣传动员", "关停整治", "总结验收"]
    assert [p["state"] for p in phases] == ["overdue", "overdue", "pending", "pending"]

    done = client.patch(url("milestone-detail", pk=phases[0]["id"]), {"completed_on": "2022-02-20"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "done"
    refused = api(people["zhongshan"]).patch(
        url("milestone-detail", pk=phases[1]["id"]), {"completed_on": "2022-03-19"}, format="json"
    )
    assert refused.status_code == 403


def test_publicity_is_recorded_by_a_unit_for_itself(people, api):
    own = Unit.objects.get(name="中山路街道办事处")
    other = Unit.objects.get(name="宁边路街道办事处")
    client = api(people["zhongshan"])
    record = {"campaign": 1, "kind": "handbook", "count": 300, "held_on": "2023-03-10"}

    ok = client.post(url("publicity-list"), {**record, "unit": own.pk}, format="json")
    refused = client.post(url("publicity-list"), {**record, "unit": other.pk}, format="json")
    zero = client.post(url("publicity-list"), {**record, "unit": own.pk, "count": 0}, format="json")

    assert ok.status_code == 201
    assert refused.status_code == 400 and "unit" in refused.json()
    assert zero.status_code == 400


# Pages ----------------------------------------------------------------------------------


def test_my_tasks_page_lists_only_the_member_units_own_open_tasks(people, client):
    client.force_login(people["grid"])
    # No notice served yet: the grid's 25 power cuts wait, none is to do now.
    assert 'data-testid="task"' not in client.get("/tasks/mine/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    page = client.get("/tasks/mine/?waiting=1", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert page.count('data-testid="task"') == 25
    assert 'data-step="seal"' not in page


def test_my_tasks_page_takes_the_task_filters(people, client):
    client.force_login(people["staff"])
    unit = Unit.objects.get(name="市清源水务有限责任公司")
    page = client.get("/tasks/mine/", {"unit": unit.pk}).content.decode()
    assert page.count('data-testid="task"') == 8


def test_the_work_overview_shows_each_units_overdue_tasks(people, client, django_assert_max_num_queries):
    client.force_login(people["staff"])
    # session, user, groups, unread count, per-unit counts, phases; for the
    # due list: the campaigns' periods, the wells' campaigns, the due wells;
    # the patrol duties and their patrols (supervision)
    with django_assert_max_num_queries(11):
        response = client.get("/tasks/overview/", HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    grid = Unit.objects.get(name="国网昌吉供电公司客户服务中心")
    assert f'data-unit="{grid.pk}"' in page
    assert page.count("<li data-state=") == 4
    # Each unit's late tasks of LATE_WELLS_TASKS and NOTICES_DUE_2023_06_03,
    # the most first (the order of the units with as many is not fixed).
    units = response.context["units"]
    assert {unit["unit_name"]: unit["overdue"] for unit in units} == {
        "宁边路街道办事处": 10,
        "中山路街道办事处": 9,
        "昌吉市水利局": 8,
        "国网昌吉供电公司客户服务中心": 4,
        "市经济发展投资有限责任公司": 4,
        "庙尔沟乡人民政府": 3,
        "市清源水务有限责任公司": 2,
        "建国路街道办事处": 1,
        "滨湖镇人民政府": 1,
    }
    assert [unit["overdue"] for unit in units] == [10, 9, 8, 4, 4, 3, 2, 1, 1]


def test_the_work_overview_is_not_for_townships_or_member_units(people, client):
    for name in ["zhongshan", "grid"]:
        client.force_login(people[name])
        assert client.get("/tasks/overview/").status_code == 403


def test_the_notification_page_shows_the_unread_count_and_marks_read(people, client):
    send_reminders(TODAY)
    client.force_login(people["zhongshan"])

    page = client.get("/tasks/mine/").content.decode()
    # 中山路's nine notices are overdue and can be served.
    assert 'data-testid="unread">9<' in page
    client.post("/tasks/notifications/")

    assert not Notification.objects.filter(recipient=people["zhongshan"], read_at__isnull=True).exists()
    assert 'data-testid="unread"' not in client.get("/tasks/notifications/").content.decode()


def test_the_daily_job_gives_imported_wells_their_tasks_and_follows_deadline_changes(people):
    well = Well.objects.get(code="CJ-NBL-01")
    newcomer = Well.objects.create(
        code="CJ-NEW-01",
        owner_name="李**",
        owner_kind="person",
        uses=["domestic"],
        campaign=well.campaign,
        responsible_unit=well.responsible_unit,
        category="unlicensed",
        deadline=datetime.date(2024, 6, 30),
    )
    Well.objects.filter(pk=well.pk).update(deadline=datetime.date(2024, 5, 31))

    call_command("run_daily_jobs")

    assert sorted(newcomer.tasks.values_list("step", flat=True)) == sorted(
        [Step.NOTIFY, Step.SUPPLY, Step.DISCONNECT, Step.SEAL, Step.ACCEPT]
    )
    assert well.tasks.get(step=Step.ACCEPT).due_on == datetime.date(2024, 5, 31)
    call_command("run_daily_jobs")
    assert newcomer.tasks.count() == 5
