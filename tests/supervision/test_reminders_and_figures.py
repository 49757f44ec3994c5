"""Overdue tickets in the daily reminders (escalated to the bureau after
the campaign's threshold, as tasks are) and the work report's supervision
figures as of a day."""

import datetime

import pytest

from supervision.figures import work_report_counts
from supervision.models import Patrol, PatrolWell, Ticket
from supervision.reminders import overdue_tickets
from supervision.workflow import perform
from tasks.choices import NotificationKind
from tasks.models import CampaignSettings
from tests.factories import UserFactory, WellFactory
from wells.choices import InspectionResult, Status
from wells.models import Inspection

pytestmark = pytest.mark.usefixtures("clock")

DUE = datetime.date(2023, 6, 30)  # what ticket_in assigns


def kinds(reminders, user):
    return sorted((r.kind, r.days_overdue) for r in reminders.get(user.pk, []))


def test_nothing_is_overdue_until_the_due_date_has_passed(ticket_in, officer):
    ticket_in("assigned")
    assert overdue_tickets(DUE) == {}


def test_the_unit_hears_of_an_overdue_ticket_and_the_bureau_after_the_threshold(
    ticket_in, officer, other_officer, staff, admin_user, leader, zhongshan_unit
):
    colleague = UserFactory(username="colleague", unit=zhongshan_unit)
    UserFactory(username="gone", unit=zhongshan_unit, is_active=False)
    ticket_in("assigned")
    ticket_in("rectified")  # waiting for review: not the unit's to do

    on_day_3 = overdue_tickets(DUE + datetime.timedelta(days=3))
    on_day_8 = overdue_tickets(DUE + datetime.timedelta(days=8))

    assert set(on_day_3) == {officer.pk, colleague.pk}
    assert kinds(on_day_3, officer) == [(NotificationKind.OVERDUE, 3)]
    assert set(on_day_8) == {officer.pk, colleague.pk, staff.pk, admin_user.pk}
    assert kinds(on_day_8, staff) == [(NotificationKind.ESCALATED, 8)]
    assert "中山路街道办事处" in on_day_8[staff.pk][0].message
    assert other_officer.pk not in on_day_8 and leader.pk not in on_day_8


def test_the_threshold_is_the_campaign_s(ticket_in, staff, well, campaign):
    CampaignSettings.objects.create(campaign=campaign, escalate_after_days=2)
    ticket_in("assigned", well=well)
    assert kinds(overdue_tickets(DUE + datetime.timedelta(days=3)), staff) == [(NotificationKind.ESCALATED, 3)]


def test_a_closed_or_re_assigned_ticket_leaves_the_reminders(ticket_in, staff, zhongshan_unit):
    ticket = ticket_in("assigned")
    perform(
        ticket, "assign", actor=staff, data={"unit": zhongshan_unit.pk, "due_on": "2023-07-31"}, version=ticket.version
    )
    assert overdue_tickets(DUE + datetime.timedelta(days=3)) == {}


def test_the_reminders_are_computed_in_a_fixed_number_of_queries(ticket_in, django_assert_max_num_queries):
    for _ in range(5):
        ticket_in("assigned")
    # the overdue tickets with their thresholds, the units' people, the bureau's people
    with django_assert_max_num_queries(3):
        reminders = overdue_tickets(DUE + datetime.timedelta(days=10))
    # the officer hears of each (overdue), the staff of each (escalated)
    assert sum(len(items) for items in reminders.values()) == 5 * 2


def test_the_work_report_counts_patrols_revisits_and_public_reports_as_of_its_day(
    ticket_in, campaign, zhongshan, zhongshan_unit, officer, staff
):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)
    day = datetime.datetime(2023, 6, 10, 10, 0, tzinfo=datetime.UTC)
    counted = Patrol.objects.create(
        campaign=campaign,
        unit=zhongshan_unit,
        patroller=officer,
        patroller_name="巡查员",
        started_at=day,
        finished_at=day + datetime.timedelta(minutes=30),
        state="finished",
        length_m=2500,
        counts=True,
    )
    Patrol.objects.create(
        campaign=campaign,
        unit=zhongshan_unit,
        patroller=officer,
        patroller_name="巡查员",
        started_at=day,
        finished_at=day + datetime.timedelta(minutes=5),
        state="finished",
        length_m=300,
        counts=False,
    )
    inspection = Inspection.objects.create(
        well=well, inspected_on=datetime.date(2023, 6, 10), inspector_name="巡查员", result=InspectionResult.IN_USE
    )
    PatrolWell.objects.create(patrol=counted, well=well, distance_m=12, result="in_use", inspection=inspection)
    Inspection.objects.create(well=well, inspected_on=datetime.date(2023, 6, 14), inspector_name="x", result="intact")
    ticket_in("closed")
    ticket_in("reported")
    ticket_in("assigned", source="staff", well=well)

    as_of_13 = work_report_counts(campaign, datetime.date(2023, 6, 13))
    as_of_15 = work_report_counts(campaign, datetime.date(2023, 6, 15))

    assert as_of_13 == {
        "patrols": 2,
        "patrols_counting": 1,
        "patrol_km": 2.8,
        "patrol_inspections": 1,
        "revisits": 1,
        "reuse_found": 1,
        "tickets": 0,
        "tickets_closed": 0,
        "public_reports": 0,
        "public_reports_closed": 0,
    }
    assert as_of_15 == {
        "patrols": 2,
        "patrols_counting": 1,
        "patrol_km": 2.8,
        "patrol_inspections": 1,
        "revisits": 2,
        "reuse_found": 1,
        "tickets": 3,
        "tickets_closed": 1,
        "public_reports": 2,
        "public_reports_closed": 1,
    }
    assert Ticket.objects.count() == 3
