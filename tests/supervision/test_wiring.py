"""Supervision reaches the daily digest and the work report through the
registries of the apps it builds on (tasks may not import supervision):
an overdue ticket is a digest item once a day, and the report states the
patrols and the public's reports when there are some, and only to a reader
who sees the whole campaign."""

import datetime
import re

import pytest

from supervision.models import Patrol
from tasks.models import Notification
from tasks.reminders import send_reminders
from tasks.reports import work_report, work_report_figures
from wells.models import Well

pytestmark = pytest.mark.usefixtures("clock")

DUE = datetime.date(2023, 6, 30)  # what ticket_in assigns


def test_an_overdue_ticket_is_in_the_digest_once_a_day(ticket_in, officer, staff):
    ticket = ticket_in("assigned")
    day = DUE + datetime.timedelta(days=8)

    send_reminders(day)
    again = send_reminders(day)

    items = Notification.objects.filter(subject=f"ticket:{ticket.pk}")
    assert again == 0
    assert set(items.values_list("recipient_id", "kind")) == {(officer.pk, "overdue"), (staff.pk, "escalated")}
    assert all(ticket.tracking in item.message for item in items)
    send_reminders(day + datetime.timedelta(days=1))
    assert items.filter(recipient=officer).count() == 2  # the next day, told again


def test_a_ticket_not_yet_due_is_in_no_digest(ticket_in):
    ticket_in("assigned")

    send_reminders(DUE)

    assert not Notification.objects.exclude(subject="").exists()


def finished_patrol(campaign, unit, officer, *, counts=True, metres=2500):
    day = datetime.datetime(2023, 6, 10, 10, 0, tzinfo=datetime.UTC)
    return Patrol.objects.create(
        campaign=campaign,
        unit=unit,
        patroller=officer,
        patroller_name="巡查员",
        started_at=day,
        finished_at=day + datetime.timedelta(minutes=30),
        state="finished",
        length_m=metres,
        counts=counts,
    )


def report_text(wells, campaign, day):
    from docx import Document

    document = Document(work_report(work_report_figures(wells, campaign, day)))
    return "".join(paragraph.text for paragraph in document.paragraphs)


def test_the_report_states_patrols_and_public_reports(ticket_in, campaign, well, zhongshan_unit, officer):
    finished_patrol(campaign, zhongshan_unit, officer)
    finished_patrol(campaign, zhongshan_unit, officer, counts=False, metres=300)
    ticket_in("closed")
    ticket_in("reported")

    figures = work_report_figures(Well.objects.all(), campaign, DUE)
    text = report_text(Well.objects.all(), campaign, DUE)

    assert (figures.patrols, figures.patrols_counting, figures.patrol_km) == (2, 1, 2.8)
    assert (figures.public_reports, figures.public_reports_closed) == (2, 1)
    assert "开展巡查2次、累计巡查里程2.8公里，其中达到巡查要求的1次" in text
    assert "共受理群众举报2件，已办结1件" in text


def test_without_patrols_or_reports_the_report_claims_none(campaign, well):
    text = report_text(Well.objects.all(), campaign, DUE)

    assert not re.search(r"开展巡查\d", text) and "受理群众举报" not in text


def test_a_report_over_part_of_the_campaign_keeps_to_its_own_figures(
    ticket_in, campaign, well, other_well, zhongshan_unit, officer
):
    finished_patrol(campaign, zhongshan_unit, officer)
    ticket_in("reported")

    figures = work_report_figures(Well.objects.filter(pk=well.pk), campaign, DUE)

    assert (figures.patrols, figures.public_reports) == (0, 0)


@pytest.mark.parametrize(("result", "tickets"), [("damaged", 1), ("intact", 0)])
def test_an_inspection_that_finds_a_problem_opens_a_ticket(officer, zhongshan, campaign, result, tickets):
    from supervision.models import Ticket
    from tests.factories import WellFactory
    from wells import changes
    from wells.choices import Status

    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)
    values = {
        "inspected_on": datetime.date(2023, 6, 14),
        "result": result,
        "lat": None,
        "lng": None,
        "note": "井盖破损",
    }

    inspection = changes.record_inspection(well, actor=officer, values=values)

    opened = Ticket.objects.filter(inspection=inspection)
    assert opened.count() == tickets
    if tickets:
        (ticket,) = opened
        assert (ticket.source, ticket.well_id, ticket.state) == ("inspection", well.pk, "reported")
        assert well.code in ticket.description and "井盖破损" in ticket.description
