"""Patrols (DESIGN §8) through the API: a township officer starts one, the
phone sends its track in batches, the finish lists the closed wells passed
within 50 m and says whether the patrol meets the campaign's minimums; each
finding is an inspection through the well's door, reuse reactivates an
accepted well and opens a ticket; and the unit's duty is counted."""

import datetime
import math

import pytest

from supervision.choices import Frequency, TicketSource
from supervision.models import Patrol, PatrolDuty, PatrolRule, PatrolWell, Ticket
from supervision.patrols import compliance, distance_to_track, metres_between, period_of
from tests.api.helpers import SHANGHAI, url
from tests.factories import WellFactory
from wells.choices import Action, InspectionResult, Status
from wells.models import Inspection, WellEvent

pytestmark = pytest.mark.usefixtures("clock", "campaign")

START = datetime.datetime(2023, 6, 15, 9, 30, tzinfo=SHANGHAI)  # half an hour before the clock
# A walk north along longitude 87.2700, from 44.0200 to 44.0300: 1,112 m.
SOUTH, NORTH = 44.0200, 44.0300


def walk(steps=10, *, minutes=20, lng=87.27):
    """Points from SOUTH to NORTH, evenly over ``minutes`` from START."""
    return [
        {
            "lat": round(SOUTH + (NORTH - SOUTH) * i / steps, 6),
            "lng": lng,
            "at": (START + datetime.timedelta(minutes=minutes * i / steps)).isoformat(),
            "accuracy": 5,
        }
        for i in range(steps + 1)
    ]


@pytest.fixture
def on_the_way(zhongshan, campaign):
    """Two accepted wells of 中山路 beside the walk (10 m and 40 m east of
    it), one 80 m away, one sealed well of 宁边路 on the path itself."""
    east = 1 / (111_320 * math.cos(math.radians(44.025)))  # a metre of longitude here
    return {
        "near": WellFactory(
            township=zhongshan,
            campaign=campaign,
            status=Status.ACCEPTED,
            lat="44.022000",
            lng=f"{87.27 + 10 * east:.6f}",
        ),
        "forty": WellFactory(
            township=zhongshan,
            campaign=campaign,
            status=Status.ACCEPTED,
            lat="44.028000",
            lng=f"{87.27 + 40 * east:.6f}",
        ),
        "far": WellFactory(
            township=zhongshan,
            campaign=campaign,
            status=Status.ACCEPTED,
            lat="44.025000",
            lng=f"{87.27 + 80 * east:.6f}",
        ),
        "open": WellFactory(
            township=zhongshan, campaign=campaign, status=Status.NOTIFIED, lat="44.024000", lng="87.270000"
        ),
    }


def start(api, officer):
    response = api(officer).post(url("patrol-list"), {"started_at": START.isoformat()}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def finished_patrol(api, officer, points=None):
    patrol = start(api, officer)
    response = api(officer).post(url("patrol-points", pk=patrol), {"points": points or walk()}, format="json")
    assert response.status_code == 200, response.json()
    finish = api(officer).post(
        url("patrol-finish", pk=patrol),
        {"finished_at": (START + datetime.timedelta(minutes=20)).isoformat()},
        format="json",
    )
    assert finish.status_code == 200, finish.json()
    return patrol, finish.json()


def test_distances_on_the_ground():
    assert metres_between((44.02, 87.27), (44.03, 87.27)) == pytest.approx(1112, abs=2)
    # 0.0005° of longitude at 44° north is about 40 m from a north-south track.
    assert distance_to_track((44.025, 87.2705), [(44.02, 87.27), (44.03, 87.27)]) == pytest.approx(40, abs=1)
    # Beyond the track's end the distance is to its end point.
    assert distance_to_track((44.0309, 87.27), [(44.02, 87.27), (44.03, 87.27)]) == pytest.approx(100, abs=1)


def test_only_a_township_officer_starts_a_patrol(api, officer, staff, leader, member):
    assert api(officer).post(url("patrol-list"), {}, format="json").status_code == 201
    for other in (staff, leader, member):
        assert api(other).post(url("patrol-list"), {}, format="json").status_code == 403
    assert Patrol.objects.count() == 1


def test_points_arrive_in_batches_and_a_resent_batch_changes_nothing(api, officer):
    patrol = start(api, officer)
    points = walk()
    first = api(officer).post(url("patrol-points", pk=patrol), {"points": points[:6]}, format="json").json()
    second = api(officer).post(url("patrol-points", pk=patrol), {"points": points[5:]}, format="json").json()
    again = api(officer).post(url("patrol-points", pk=patrol), {"points": points[5:]}, format="json").json()

    assert (first["stored"], second["stored"], again["stored"]) == (6, 5, 0)
    assert again["length_m"] == pytest.approx(1112, abs=2)
    assert again["duration_s"] == 20 * 60


@pytest.mark.parametrize(
    ("point", "message"),
    [
        ({"lat": 10.0, "lng": 87.27, "at": START.isoformat()}, "outside China"),
        ({"lat": "abc", "lng": 87.27, "at": START.isoformat()}, "latitude"),
        ({"lat": "NaN", "lng": 87.27, "at": START.isoformat()}, "latitude"),
        ({"lat": 44.02, "lng": 87.27, "at": "yesterday"}, "ISO 8601"),
        ({"lat": 44.02, "lng": 87.27, "at": "2023-02-30T10:00:00+08:00"}, "ISO 8601"),
        ({"lat": 44.02, "lng": 87.27, "at": "2023-06-15T08:00:00+08:00"}, "outside the patrol's time"),
        ({"lat": 44.02, "lng": 87.27, "at": "2023-06-15T11:00:00+08:00"}, "outside the patrol's time"),
    ],
)
def test_a_bad_point_is_refused_by_its_number_and_nothing_is_kept(api, officer, point, message):
    patrol = start(api, officer)
    good = walk()[0]
    response = api(officer).post(url("patrol-points", pk=patrol), {"points": [good, point]}, format="json")
    assert response.status_code == 400
    assert "Point 2" in response.json()["detail"] or "point 2" in response.json()["detail"]
    assert message in response.json()["detail"]
    assert Patrol.objects.get(pk=patrol).points.count() == 0


def test_another_townships_officer_cannot_reach_the_patrol(api, officer, other_officer):
    patrol = start(api, officer)
    assert (
        api(other_officer).post(url("patrol-points", pk=patrol), {"points": walk()}, format="json").status_code == 404
    )
    assert api(other_officer).get(url("patrol-detail", pk=patrol)).status_code == 404


def test_the_finish_lists_the_closed_wells_within_50_metres_and_the_patrol_counts(api, officer, on_the_way, campaign):
    PatrolRule.objects.create(campaign=campaign, min_minutes=15, min_metres=1000)
    _patrol, finished = finished_patrol(api, officer)

    passed = {row["well"]: row["distance_m"] for row in finished["wells"]}
    assert passed == {on_the_way["near"].code: 10, on_the_way["forty"].code: 40}
    assert (finished["state"], finished["counts"], finished["duration_s"]) == ("finished", True, 1200)
    assert len(finished["track"]) == 11


@pytest.mark.parametrize(
    ("minutes", "steps", "counts"),
    [(20, 10, True), (14, 10, False)],
)
def test_a_patrol_counts_only_when_it_meets_the_minimums(api, officer, campaign, minutes, steps, counts):
    PatrolRule.objects.create(campaign=campaign, min_minutes=15, min_metres=1000)
    patrol = start(api, officer)
    api(officer).post(url("patrol-points", pk=patrol), {"points": walk(steps, minutes=minutes)}, format="json")
    end = START + datetime.timedelta(minutes=minutes)
    finished = (
        api(officer).post(url("patrol-finish", pk=patrol), {"finished_at": end.isoformat()}, format="json").json()
    )
    assert finished["counts"] is counts


def test_a_short_walk_does_not_count_however_long(api, officer, campaign):
    PatrolRule.objects.create(campaign=campaign, min_minutes=15, min_metres=1000)
    points = [dict(point, lat=round(SOUTH + (point["lat"] - SOUTH) / 2, 6)) for point in walk()]  # 556 m
    _patrol, finished = finished_patrol(api, officer, points)
    assert (finished["length_m"] < 1000, finished["counts"]) == (True, False)


def test_a_finished_patrol_takes_no_more_points_and_no_second_finish(api, officer):
    patrol, _finished = finished_patrol(api, officer)
    assert api(officer).post(url("patrol-points", pk=patrol), {"points": walk()[:1]}, format="json").status_code == 400
    assert api(officer).post(url("patrol-finish", pk=patrol), {}, format="json").status_code == 400


def test_an_intact_finding_is_an_inspection_of_the_well(api, officer, on_the_way):
    patrol, _finished = finished_patrol(api, officer)
    well = on_the_way["near"]
    response = api(officer).post(
        url("patrol-findings", pk=patrol), {"well": well.code, "result": "intact"}, format="json"
    )

    assert response.status_code == 200, response.json()
    inspection = Inspection.objects.get(well=well)
    assert (inspection.result, inspection.inspected_on) == (InspectionResult.INTACT, datetime.date(2023, 6, 15))
    assert PatrolWell.objects.get(patrol=patrol, well=well).inspection == inspection
    assert not Ticket.objects.exists()
    well.refresh_from_db()
    assert well.status == Status.ACCEPTED


def test_reuse_found_on_a_patrol_reactivates_the_well_through_its_door_and_opens_a_ticket(api, officer, on_the_way):
    patrol, _finished = finished_patrol(api, officer)
    well = on_the_way["forty"]
    body = {"well": well.code, "result": "in_use", "note": "井房内有新水泵", "deadline": "2023-08-31"}
    response = api(officer).post(url("patrol-findings", pk=patrol), body, format="json")

    assert response.status_code == 200, response.json()
    well.refresh_from_db()
    assert (well.status, well.deadline) == (Status.REACTIVATED, datetime.date(2023, 8, 31))
    event = WellEvent.objects.get(well=well)
    assert (event.action, event.actor, event.data["inspection"]) == (
        Action.REACTIVATE,
        officer,
        Inspection.objects.get(well=well).pk,
    )
    ticket = Ticket.objects.get()
    assert (ticket.source, ticket.well, ticket.patrol_id, ticket.state) == (
        TicketSource.PATROL,
        well,
        patrol,
        "reported",
    )
    assert "井房内有新水泵" in ticket.description


def test_reuse_of_an_accepted_well_without_a_new_deadline_is_refused_and_nothing_is_written(api, officer, on_the_way):
    patrol, _finished = finished_patrol(api, officer)
    well = on_the_way["forty"]
    response = api(officer).post(
        url("patrol-findings", pk=patrol), {"well": well.code, "result": "in_use"}, format="json"
    )

    assert (response.status_code, response.json()["field"]) == (400, "deadline")
    well.refresh_from_db()
    assert well.status == Status.ACCEPTED
    assert not Inspection.objects.exists() and not Ticket.objects.exists()
    assert PatrolWell.objects.get(patrol=patrol, well=well).result == ""


def test_a_well_not_passed_or_recorded_twice_is_refused(api, officer, on_the_way):
    patrol, _finished = finished_patrol(api, officer)
    far = api(officer).post(
        url("patrol-findings", pk=patrol), {"well": on_the_way["far"].code, "result": "intact"}, format="json"
    )
    assert far.status_code == 400
    near = {"well": on_the_way["near"].code, "result": "damaged"}
    assert api(officer).post(url("patrol-findings", pk=patrol), near, format="json").status_code == 200
    assert api(officer).post(url("patrol-findings", pk=patrol), near, format="json").status_code == 400
    assert Ticket.objects.get().source == TicketSource.PATROL  # damage is a problem to rectify too


def test_the_unit_s_monthly_duty_counts_its_counting_patrols_of_the_month(
    api, officer, campaign, zhongshan_unit, ningbian_unit
):
    PatrolRule.objects.create(campaign=campaign, min_minutes=15, min_metres=1000)
    PatrolDuty.objects.create(campaign=campaign, unit=zhongshan_unit, frequency=Frequency.MONTHLY, times=1)
    PatrolDuty.objects.create(campaign=campaign, unit=ningbian_unit, frequency=Frequency.HALF_MONTHLY, times=1)
    today = datetime.date(2023, 6, 15)
    before = {row["unit"].pk: (row["done"], row["required"]) for row in compliance(PatrolDuty.objects.all(), today)}

    finished_patrol(api, officer)

    after = {row["unit"].pk: (row["done"], row["required"]) for row in compliance(PatrolDuty.objects.all(), today)}
    assert before == {zhongshan_unit.pk: (0, 1), ningbian_unit.pk: (0, 1)}
    assert after == {zhongshan_unit.pk: (1, 1), ningbian_unit.pk: (0, 1)}
    # Next month the duty starts again.
    assert compliance(PatrolDuty.objects.filter(unit=zhongshan_unit), datetime.date(2023, 7, 3))[0]["done"] == 0


def test_duty_periods():
    assert period_of(datetime.date(2023, 2, 10), Frequency.MONTHLY) == (
        datetime.date(2023, 2, 1),
        datetime.date(2023, 2, 28),
    )
    assert period_of(datetime.date(2023, 6, 15), Frequency.HALF_MONTHLY) == (
        datetime.date(2023, 6, 1),
        datetime.date(2023, 6, 15),
    )
    assert period_of(datetime.date(2023, 12, 16), Frequency.HALF_MONTHLY) == (
        datetime.date(2023, 12, 16),
        datetime.date(2023, 12, 31),
    )


def test_the_patrol_list_is_scoped_and_counted_in_a_fixed_number_of_queries(
    api, officer, other_officer, staff, django_assert_max_num_queries
):
    for _ in range(3):
        start(api, officer)
    start(api, other_officer)
    client = api(staff)
    # token and user with groups (2), the page of patrols with their units (1)
    with django_assert_max_num_queries(5):
        everything = client.get(url("patrol-list")).json()["results"]
    assert len(everything) == 4
    assert len(api(officer).get(url("patrol-list")).json()["results"]) == 3
