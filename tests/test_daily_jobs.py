"""The daily jobs (``manage.py run_daily_jobs``): first tasks for wells
without any, due dates back in step with deadlines and duties, the digest.
Each in the database, in batches or by a fixed number of statements; each
safe to run again; and the digest stays readable however many steps are
late."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.models import Count
from django.urls import reverse

from accounts.choices import Role, UnitKind
from accounts.models import Unit, User
from tasks import reminders
from tasks.choices import NotificationKind, Step, TaskStatus
from tasks.models import Duty, Notification, Task
from tasks.services import open_first_tasks, reschedule_tasks
from tests.factories import UserFactory
from tests.memory import MEASURABLE, peak_rss_reset, proc_status
from wells.changes import change_facts
from wells.choices import Action
from wells.models import Campaign, Well
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

TODAY = datetime.date(2023, 6, 15)  # the shared clock's day
NOTICE = {"notice_no": "宁边路关停〔2023〕1号", "served_on": "2023-06-01", "comply_by": "2023-06-30"}


@pytest.fixture
def demo(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("load_demo", verbosity=0)
    return {user.username: user for user in User.objects.all()}


# The digest at any size --------------------------------------------------------


def test_a_unit_sees_its_most_urgent_steps_one_by_one_and_the_rest_counted(demo, monkeypatch, client):
    monkeypatch.setattr(reminders, "DIGEST_LIMIT", 3)

    reminders.send_reminders(TODAY)

    # 宁边路's ten notices are overdue: the first three listed, seven counted.
    mine = Notification.objects.filter(recipient=demo["ningbian"])
    listed = mine.filter(task__isnull=False).order_by("task__due_on", "task__pk")
    assert listed.count() == 3
    expected = Task.objects.filter(unit=demo["ningbian"].unit, step=Step.NOTIFY).order_by("due_on", "pk")[:3]
    assert [note.task_id for note in listed] == [task.pk for task in expected]
    counted = mine.get(task__isnull=True)
    assert counted.subject == f"tasks:unit:{demo['ningbian'].unit_id}"
    assert counted.kind == NotificationKind.OVERDUE
    assert "另有 7 项任务" in counted.message
    assert counted.link == reverse("tasks:mine")
    # The page leads there.
    client.force_login(demo["ningbian"])
    assert f'href="{reverse("tasks:mine")}"' in client.get(reverse("tasks:notifications")).content.decode()
    # A second run the same day sends nothing, the counted line included.
    assert reminders.send_reminders(TODAY) == 0


def test_the_bureau_hears_of_each_late_unit_once_whatever_the_number_of_its_late_steps(demo):
    reminders.send_reminders(TODAY)

    escalated = Notification.objects.filter(recipient=demo["staff"], kind=NotificationKind.ESCALATED)
    units = list(escalated.values_list("task__unit__name", flat=True))
    assert len(units) == len(set(units))
    ningbian = escalated.get(task__unit=demo["ningbian"].unit)
    assert "有 10 项任务逾期" in ningbian.message  # its ten late notices, in one line


# Due dates ----------------------------------------------------------------------


def test_an_edited_duty_moves_its_open_tasks_in_the_database_and_only_those(demo, django_assert_max_num_queries):
    campaign = Campaign.objects.get()
    done = Task.objects.filter(step=Step.NOTIFY).first()
    Task.objects.filter(pk=done.pk).update(status=TaskStatus.DONE)
    Duty.objects.filter(campaign=campaign, step=Step.NOTIFY).update(days_before_deadline=200)

    # The duties, one query for the duties whose tasks move, and one UPDATE
    # for the one that does, whatever the number of duties and tasks.
    with django_assert_max_num_queries(1 + 1 + 1 + 2):
        moved = reschedule_tasks()

    open_notices = Task.objects.open().filter(step=Step.NOTIFY).select_related("well")
    assert moved == open_notices.count() > 0
    assert {task.due_on == task.well.deadline - datetime.timedelta(days=200) for task in open_notices} == {True}
    done.refresh_from_db()
    assert done.due_on == done.well.deadline - datetime.timedelta(days=180)  # done: history, not moved
    # The other steps were in step already.
    assert (
        Task.objects.filter(step=Step.SEAL).exclude(due_on=None).count() == Task.objects.filter(step=Step.SEAL).count()
    )
    # Nothing to move: the duties and the one query that finds none.
    with django_assert_max_num_queries(2):
        assert reschedule_tasks() == 0


def test_each_campaigns_duty_moves_its_own_steps_by_its_own_days(demo):
    """The one query that finds what moves keys each task to its campaign's
    duty of its step: the same step of another campaign keeps its days."""
    campaign = Campaign.objects.get()
    other = Campaign.objects.create(name="第二批禁采区关停", bureau=campaign.bureau)
    for duty in Duty.objects.filter(campaign=campaign):
        Duty.objects.create(
            campaign=other, step=duty.step, unit=duty.unit, days_before_deadline=duty.days_before_deadline
        )
    moved_wells = list(Well.objects.filter(tasks__status=TaskStatus.OPEN, tasks__step=Step.NOTIFY).distinct()[:3])
    Well.objects.filter(pk__in=[well.pk for well in moved_wells]).update(campaign=other)
    Duty.objects.filter(campaign=other, step=Step.NOTIFY).update(days_before_deadline=200)
    Duty.objects.filter(campaign=campaign, step=Step.SEAL).update(days_before_deadline=5)

    moved = reschedule_tasks()

    notices = Task.objects.open().filter(step=Step.NOTIFY).select_related("well")
    seals = Task.objects.open().filter(step=Step.SEAL).select_related("well")
    days = {(task.well.campaign_id, (task.well.deadline - task.due_on).days) for task in [*notices, *seals]}
    assert {(other.pk, 200), (campaign.pk, 180), (campaign.pk, 5)} <= days
    assert (campaign.pk, 200) not in days and (other.pk, 180) not in days
    assert moved == notices.filter(well__campaign=other).count() + seals.filter(well__campaign=campaign).count()
    assert reschedule_tasks() == 0


def test_a_task_opened_in_a_new_round_is_never_due_before_the_day_it_opened(demo):
    """A reactivated well's new round falls due no earlier than the day it
    opened — after a deadline moved earlier, and after the daily job."""
    well = Well.objects.get(code="CJ-ZSL-09")  # deadline 2022-11-30
    staff = demo["staff"]
    task = well.tasks.get(step=Step.SEAL)
    Task.objects.filter(pk=task.pk).update(due_on=TODAY, due_not_before=TODAY)  # as a task opened today is

    well = change_facts(well, actor=staff, values={"deadline": datetime.date(2022, 12, 31)}, version=well.version)
    task.refresh_from_db()
    assert task.due_on == TODAY  # the plan says 2022-12-01; not before it opened

    assert reschedule_tasks() == 0
    task.refresh_from_db()
    assert task.due_on == TODAY

    well = change_facts(well, actor=staff, values={"deadline": datetime.date(2024, 6, 30)}, version=well.version)
    task.refresh_from_db()
    assert task.due_on == datetime.date(2024, 5, 31)  # later than the floor: the plan's date


# First tasks ----------------------------------------------------------------------


def test_wells_added_before_their_campaigns_duties_get_their_first_round_in_batches(demo):
    campaign = Campaign.objects.get()
    township_unit = Unit.objects.get(name="宁边路街道办事处")
    fresh = Campaign.objects.create(name="新增禁采区关停", bureau=campaign.bureau)
    codes = [f"CJ-NEW-{n:02d}" for n in range(5)]
    for code in codes:
        Well.objects.create(
            code=code,
            owner_name="李**",
            owner_kind="person",
            uses=["irrigation"],
            campaign=fresh,
            responsible_unit=township_unit,
            category="unlicensed",
            deadline=datetime.date(2024, 6, 30),
        )
    assert open_first_tasks(batch=2) == 0  # no duties yet: nothing to open
    # One of them was served its notice before the work plan came.
    served = Well.objects.get(code=codes[0])
    perform(served, Action.NOTIFY, actor=demo["staff"], data=NOTICE, version=served.version)
    for duty in Duty.objects.filter(campaign=campaign):
        Duty.objects.create(
            campaign=fresh, step=duty.step, unit=duty.unit, days_before_deadline=duty.days_before_deadline
        )

    created = open_first_tasks(batch=2)

    wells = Well.objects.filter(code__in=codes)
    # Irrigation, unlicensed: notice, power cut, seal, acceptance each.
    assert created == 4 * len(codes)
    assert {well.tasks.count() for well in wells} == {4}
    assert list(served.tasks.filter(status=TaskStatus.DONE).values_list("step", flat=True)) == [Step.NOTIFY]
    assert served.tasks.get(step=Step.NOTIFY).event == served.events.get(action=Action.NOTIFY)
    assert open_first_tasks(batch=2) == 0


# At scale -----------------------------------------------------------------------

COUNT = 20_000


@pytest.mark.skipif(not MEASURABLE, reason="needs Linux's /proc/self/clear_refs")
def test_the_daily_jobs_at_twenty_thousand_wells_stay_in_bounded_memory_and_run_again_for_nothing(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("generate_wells", count=COUNT, seed=21, stdout=io.StringIO())
    bureau = Unit.objects.create(name="测试水利局", kind=UnitKind.BUREAU)
    grid = Unit.objects.create(name="测试供电公司", kind=UnitKind.COMPANY)
    UserFactory(username="bureau", unit=bureau, role=Role.BUREAU_STAFF, email="bureau@x.cn")
    UserFactory(username="grid-member", unit=grid, role=Role.UNIT_MEMBER, email="grid@x.cn")
    busiest = Well.objects.values("responsible_unit").order_by().annotate(n=Count("pk")).order_by("-n")[0]
    UserFactory(
        username="officer",
        unit_id=busiest["responsible_unit"],
        role=Role.TOWNSHIP_OFFICER,
        email="officer@x.cn",
    )
    plan = [(Step.NOTIFY, None, 180), (Step.REVOKE_LICENSE, bureau, 120), (Step.DISCONNECT, grid, 60)]
    plan += [(Step.SEAL, None, 30), (Step.ACCEPT, bureau, 0)]
    for campaign in Campaign.objects.all():
        for step, unit, days in plan:
            Duty.objects.create(campaign=campaign, step=step, unit=unit, days_before_deadline=days)

    before = peak_rss_reset()
    out = io.StringIO()
    call_command("run_daily_jobs", stdout=out)
    grown = proc_status("VmHWM") - before

    tasks = Task.objects.count()
    assert tasks > 3 * COUNT  # every live well got its first round
    # A well already accepted has its steps done, each with its event.
    accepted = Task.objects.filter(well__status="accepted")
    assert accepted.exists() and not accepted.filter(status=TaskStatus.OPEN).exclude(step=Step.SUPPLY).exists()
    assert not accepted.filter(status=TaskStatus.DONE, event__isnull=True).exists()
    assert "tasks opened" in out.getvalue()
    # One e-mail per person, each bounded by the digest's limit.
    assert len(mail.outbox) <= User.objects.count()
    for message in mail.outbox:
        assert message.body.count("\n") + 1 <= reminders.DIGEST_LIMIT + 1 + Unit.objects.count()
    # Loosely: far below the 300 MB a small server gives the whole job (the
    # 20,000 wells' objects held at once took several times this).
    assert grown < 100 * 1024 * 1024, f"the daily jobs grew the process by {grown / 2**20:.0f} MB"

    mail.outbox.clear()
    again = io.StringIO()
    call_command("run_daily_jobs", stdout=again)
    assert Task.objects.count() == tasks
    assert "0 tasks opened" in again.getvalue() and "0 due dates moved" in again.getvalue()
    assert "Today's digest was written at" in again.getvalue() and "nothing sent" in again.getvalue()
    assert mail.outbox == []
