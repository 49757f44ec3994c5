"""The supervision pages: the problem ledger's list and a ticket's page with
its actions, the patrol pages, the compliance block on the work overview and
the dashboard, and the files served only to those who see them."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from supervision.choices import Frequency
from supervision.files import store_file
from supervision.models import Patrol, PatrolDuty, PatrolWell, Ticket
from tests.api.helpers import png_bytes
from tests.factories import WellFactory
from wells.choices import Status

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def signed_in(client):
    def sign_in(user):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return sign_in


def test_the_problem_ledger_lists_what_each_role_sees_in_a_fixed_number_of_queries(
    signed_in, ticket_in, staff, other_officer, django_assert_max_num_queries
):
    for state in ("reported", "assigned", "rectified", "closed"):
        ticket_in(state)
    client = signed_in(staff)
    # session, user, groups, unread notifications, the page's count and rows, the filter's units
    with django_assert_max_num_queries(9):
        response = client.get(reverse("supervision:tickets"))
    assert response.content.decode().count('data-testid="ticket-row"') == 4
    filtered = client.get(reverse("supervision:tickets") + "?state=assigned&state=rectified")
    assert filtered.content.decode().count('data-testid="ticket-row"') == 2
    # 宁边路's officer has none of them (all assigned to 中山路 or not yet).
    assert (
        'data-testid="ticket-row"' not in signed_in(other_officer).get(reverse("supervision:tickets")).content.decode()
    )


def test_a_ticket_page_offers_each_role_its_actions(signed_in, ticket_in, staff, officer, leader):
    ticket = ticket_in("assigned")
    page = reverse("supervision:ticket", args=[ticket.pk])
    assert 'data-testid="ticket-action-assign"' in signed_in(staff).get(page).content.decode()
    officer_page = signed_in(officer).get(page).content.decode()
    assert 'data-testid="ticket-action-rectify"' in officer_page
    assert 'data-testid="ticket-action-assign"' not in officer_page
    leader_page = signed_in(leader).get(page).content.decode()
    assert "ticket-action-" not in leader_page


def test_a_refused_action_shows_beside_its_form_and_changes_nothing(signed_in, ticket_in, officer):
    ticket = ticket_in("assigned")
    response = signed_in(officer).post(
        reverse("supervision:ticket-action", args=[ticket.pk, "rectify"]), {"note": "已整改", "version": ticket.version}
    )
    assert response.status_code == 400
    assert "Attach the evidence" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == "assigned"


def test_a_stale_form_is_refused_as_a_conflict(signed_in, ticket_in, staff, zhongshan_unit):
    ticket = ticket_in("reported")
    response = signed_in(staff).post(
        reverse("supervision:ticket-action", args=[ticket.pk, "assign"]),
        {"unit": zhongshan_unit.pk, "due_on": "2023-07-01", "version": ticket.version + 1},
    )
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.state == "reported"


def test_the_rectification_with_a_photo_through_the_page(signed_in, ticket_in, officer):
    ticket = ticket_in("assigned")
    photo = SimpleUploadedFile("整改.png", png_bytes(), content_type="image/png")
    response = signed_in(officer).post(
        reverse("supervision:ticket-action", args=[ticket.pk, "rectify"]),
        {"note": "已拆除", "version": ticket.version, "photos": [photo]},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.state, ticket.rectified_by, ticket.files.filter(event__action="rectify").count()) == (
        "rectified",
        officer,
        1,
    )


def test_files_are_served_only_to_those_who_see_their_ticket(signed_in, ticket_in, officer, other_officer, client):
    ticket = ticket_in("assigned")
    stored = store_file(
        SimpleUploadedFile("a.png", png_bytes(), content_type="image/png"), uploaded_by=None, ticket=ticket
    )
    address = reverse("supervision:file", args=[stored.pk])
    assert signed_in(officer).get(address).status_code == 200
    assert signed_in(other_officer).get(address).status_code == 404


@pytest.fixture
def finished(officer, campaign, zhongshan):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)
    at = datetime.datetime(2023, 6, 15, 9, 0, tzinfo=datetime.UTC)
    patrol = Patrol.objects.create(
        campaign=campaign,
        unit=officer.unit,
        patroller=officer,
        patroller_name=str(officer),
        started_at=at,
        finished_at=at + datetime.timedelta(minutes=20),
        state="finished",
        length_m=1200,
        duration_s=1200,
        counts=True,
    )
    PatrolWell.objects.create(patrol=patrol, well=well, distance_m=12)
    return patrol, well


def test_the_finished_patrol_page_takes_a_finding(signed_in, officer, finished):
    patrol, well = finished
    client = signed_in(officer)
    page = client.get(reverse("supervision:patrol", args=[patrol.pk])).content.decode()
    assert 'data-testid="finding-form"' in page and well.code in page
    refused = client.post(
        reverse("supervision:patrol-finding", args=[patrol.pk]), {"well": well.code, "result": "in_use"}
    )
    assert refused.status_code == 400  # an accepted well in use needs its new deadline
    done = client.post(
        reverse("supervision:patrol-finding", args=[patrol.pk]),
        {"well": well.code, "result": "in_use", "deadline": "2023-08-01"},
    )
    assert done.status_code == 302
    well.refresh_from_db()
    assert well.status == Status.REACTIVATED


def test_the_compliance_block_on_the_overview_and_the_dashboard(signed_in, staff, leader, officer, finished, campaign):
    PatrolDuty.objects.create(campaign=campaign, unit=officer.unit, frequency=Frequency.MONTHLY, times=2)
    for user, name in ((staff, "tasks:overview"), (leader, "wells:dashboard")):
        text = signed_in(user).get(reverse(name)).content.decode()
        assert 'data-testid="compliance-row"' in text
        assert 'data-done="1" data-required="2"' in text


def test_the_patrol_list_starts_a_patrol_at_the_phones_time(signed_in, officer, campaign):
    client = signed_in(officer)
    assert 'data-testid="start-patrol"' in client.get(reverse("supervision:patrols")).content.decode()
    response = client.post(reverse("supervision:patrol-start"), {"started_at": "2023-06-15T09:50:00+08:00"})
    patrol = Patrol.objects.get()
    assert response["Location"] == reverse("supervision:patrol", args=[patrol.pk])
    assert patrol.started_at == datetime.datetime(2023, 6, 15, 1, 50, tzinfo=datetime.UTC)
    assert 'data-testid="patrol-recorder"' in client.get(response["Location"]).content.decode()


def test_a_problem_opened_by_hand_names_a_well_of_the_openers_scope(signed_in, officer, well, other_well):
    client = signed_in(officer)
    body = {"source": "inspection", "description": "回头看发现井盖松动", "well": other_well.code}
    refused = client.post(reverse("supervision:ticket-new"), body)
    assert refused.status_code == 400
    done = client.post(reverse("supervision:ticket-new"), {**body, "well": well.code})
    ticket = Ticket.objects.get()
    assert done["Location"] == reverse("supervision:ticket", args=[ticket.pk])
    assert (ticket.source, ticket.well, ticket.opened_by, str(ticket.lat)) == ("inspection", well, officer, "44.010000")


def test_a_wells_page_shows_the_patrols_that_passed_it_and_its_tickets(signed_in, officer, other_officer, finished):
    patrol, well = finished
    Ticket.objects.create(source="patrol", description="井口破损", well=well, unit=officer.unit)
    page = signed_in(officer).get(reverse("wells:well", args=[well.code])).content.decode()
    assert page.count('data-testid="well-patrol"') == 1 and page.count('data-testid="well-ticket"') == 1
    assert 'data-track-map="well-patrols-map-data"' in page
