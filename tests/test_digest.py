"""The daily digest: one per person and day, each item once, nothing about
a step that cannot be taken yet, and the bureau not told twice of its own
late steps; chosen by the database in a fixed number of queries."""

import datetime
import io

import pytest
from django.core import mail
from django.core.management import call_command

from accounts.models import User
from tasks.choices import NotificationKind, Step
from tasks.models import Notification
from tasks.reminders import send_reminders
from wells.choices import Action
from wells.models import Well
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

TODAY = datetime.date(2023, 6, 15)


@pytest.fixture
def demo(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("load_demo", verbosity=0)
    users = {user.username: user for user in User.objects.all()}
    for user in users.values():
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.cn")
    return users


def items_of(username):
    return set(Notification.objects.filter(recipient__username=username).values_list("task__well__code", "task__step"))


def test_each_person_gets_one_digest_a_day_and_each_item_once(demo):
    first = send_reminders(TODAY)
    again = send_reminders(TODAY)

    assert first > 0 and again == 0
    recipients = [message.to[0] for message in mail.outbox]
    assert len(recipients) == len(set(recipients))  # one e-mail per person
    rows = list(Notification.objects.values_list("recipient_id", "task_id", "sent_on"))
    assert len(rows) == len(set(rows))  # no task twice in anyone's digest
    staff_mail = next(message for message in mail.outbox if message.to == ["staff@example.cn"])
    assert staff_mail.body.count("\n") + 1 == Notification.objects.filter(recipient=demo["staff"]).count()


def test_a_day_has_one_digest_whatever_changes_after_it_was_written(demo):
    """The day's digest is written once: a colleague who joins a unit after
    it went out hears tomorrow, and the second run says why it sent nothing
    (without computing the digest again)."""
    assert send_reminders(TODAY) > 0
    sent = len(mail.outbox)
    newcomer = User.objects.create(username="newcomer", unit=demo["ningbian"].unit, email="newcomer@example.cn")

    out = io.StringIO()
    call_command("send_reminders", stdout=out)

    assert "nothing sent" in out.getvalue()
    assert send_reminders(TODAY) == 0
    assert len(mail.outbox) == sent and not Notification.objects.filter(recipient=newcomer).exists()
    assert send_reminders(TODAY + datetime.timedelta(days=1)) > 0
    assert Notification.objects.filter(recipient=newcomer, sent_on=TODAY + datetime.timedelta(days=1)).exists()


def test_nothing_is_announced_for_a_step_that_cannot_be_taken_yet(demo):
    send_reminders(TODAY)

    # No notice served anywhere: the grid's power cuts and the investment
    # company's seals wait, though many are overdue.
    assert items_of("grid") == set()
    assert items_of("investco") == set()
    # The water company can connect the supply of domestic wells now.
    assert items_of("water") and {step for _code, step in items_of("water")} == {Step.SUPPLY}


def test_a_step_is_announced_once_it_can_be_taken(demo):
    well = Well.objects.get(code="CJ-ZSL-05")  # irrigation only: the power can be cut right after the notice
    perform(
        well,
        Action.NOTIFY,
        actor=demo["zhongshan"],
        data={"notice_no": "中山路关停〔2023〕3号", "served_on": "2023-06-01", "comply_by": "2023-06-30"},
        version=well.version,
    )
    # The power cut falls due 60 days before 2023-11-30: within the 7 days' notice on 2023-09-25.
    send_reminders(datetime.date(2023, 9, 25))
    assert items_of("grid") == {("CJ-ZSL-05", Step.DISCONNECT)}
    assert Notification.objects.get(recipient=demo["grid"]).kind == NotificationKind.DUE_SOON


def test_the_bureau_hears_of_its_own_late_step_once_and_of_others_as_escalations(demo):
    send_reminders(TODAY)

    staff = Notification.objects.filter(recipient=demo["staff"])
    own = staff.filter(task__unit=demo["staff"].unit)
    assert set(own.values_list("kind", flat=True)) == {NotificationKind.OVERDUE}
    assert set(own.values_list("task__well__code", "task__step")) == {("CJ-SW-01", Step.NOTIFY)}
    others = staff.exclude(task__unit=demo["staff"].unit)
    assert set(others.values_list("kind", flat=True)) == {NotificationKind.ESCALATED}
    # Escalated: each unit with steps overdue by more than the campaign's 7
    # days once, with their number and the longest late of them.
    assert others.count() == len(set(others.values_list("task__unit", flat=True)))
    zhongshan = others.get(task__unit__name="中山路街道办事处")
    assert zhongshan.subject == f"escalation:{zhongshan.task.unit_id}"
    assert "有 9 项任务逾期" in zhongshan.message
    assert (zhongshan.task.well.code, zhongshan.task.step) == ("CJ-ZSL-09", Step.NOTIFY)  # due 2022-06-03


def test_the_daily_digest_is_chosen_in_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    # Whether today's digest is written, the campaigns and their settings,
    # the units' people, the bureau's people, the listed tasks and the
    # units' counts, the late units and their longest late step, today's
    # items, the day's digest, the insert (one batch), the recipients'
    # addresses; savepoints.
    with django_assert_max_num_queries(16):
        send_reminders(TODAY)
