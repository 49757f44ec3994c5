"""Inspections: scoped list, recording by the bureau and the well's own
officer, and the reactivation of an accepted well found in use."""

import datetime

import pytest

from tests.api.helpers import url
from tests.factories import WellFactory
from wells.choices import Status
from wells.models import Inspection, Well, WellEvent


def record(client, well, result="intact", **fields):
    body = {"well": getattr(well, "code", well), "inspected_on": "2023-06-14", "result": result, **fields}
    return client.post(url("inspection-list"), body)


def test_an_officer_records_an_inspection_of_their_well(api, officer, well):
    response = record(api(officer), well, lat=44.1, lng=87.2, note="封井完好")

    assert response.status_code == 201, response.content
    inspection = Inspection.objects.get()
    assert response.json() == {
        "id": inspection.pk,
        "well": well.code,
        "inspected_on": "2023-06-14",
        "result": "intact",
        "lat": 44.1,
        "lng": 87.2,
        "note": "封井完好",
        "inspector_name": str(officer),
        "created_at": response.json()["created_at"],
    }
    assert inspection.inspector == officer


def test_finding_an_accepted_well_in_use_reactivates_it(api, officer, zhongshan, campaign):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)

    response = record(api(officer), well, result="in_use", note="发现水泵重新安装", deadline="2023-10-31")

    assert response.status_code == 201
    well.refresh_from_db()
    # The inspection is one change (version 2), the reactivation another (3).
    assert (well.status, well.version, well.deadline) == (Status.REACTIVATED, 3, datetime.date(2023, 10, 31))
    event = WellEvent.objects.get(well=well)
    assert (event.action, event.from_status, event.to_status) == ("reactivate", "accepted", "reactivated")
    assert event.data == {"reason": "发现水泵重新安装", "inspection": response.json()["id"], "deadline": "2023-10-31"}
    assert event.actor == officer


def test_without_a_note_the_reactivation_gives_the_inspection_date_as_its_reason(api, staff, zhongshan, campaign):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)

    record(api(staff), well, result="in_use", deadline="2023-10-31")

    assert WellEvent.objects.get(well=well).data["reason"] == "Found in use at the inspection of 2023-06-14."


@pytest.mark.parametrize("status", [Status.NOTIFIED, Status.SEALED])
def test_finding_a_well_not_yet_accepted_in_use_only_records_it(api, officer, zhongshan, campaign, status):
    well = WellFactory(township=zhongshan, campaign=campaign, status=status)

    response = record(api(officer), well, result="in_use")

    assert response.status_code == 201
    assert Well.objects.get(pk=well.pk).status == status
    assert not WellEvent.objects.exists()


def test_an_intact_accepted_well_stays_accepted(api, officer, zhongshan, campaign):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)

    record(api(officer), well, result="intact")

    assert Well.objects.get(pk=well.pk).status == Status.ACCEPTED


def test_an_officer_cannot_name_another_townships_well(api, officer, other_well):
    response = record(api(officer), other_well)

    assert response.status_code == 400
    # The same answer as for a code that does not exist: nothing leaks.
    assert response.json() == {"well": [f"Object with code={other_well.code} does not exist."]}
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("persona", ["leader", "member"])
def test_leaders_and_member_units_do_not_record_inspections(api, request, well, persona):
    response = record(api(request.getfixturevalue(persona)), well)

    assert response.status_code == 403
    assert not Inspection.objects.exists()


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"inspected_on": "2023-06-16"}, {"inspected_on": ["The inspection date cannot be in the future."]}),
        ({"result": "gone"}, {"result": ['"gone" is not a valid choice.']}),
        ({"lat": 44.1}, {"non_field_errors": ["Give both latitude and longitude, or neither."]}),
    ],
    ids=["future", "bad-result", "lat-without-lng"],
)
def test_a_bad_inspection_is_400(api, officer, well, fields, errors):
    response = record(api(officer), well, **fields)

    assert response.status_code == 400
    assert response.json() == errors
    assert not Inspection.objects.exists()


@pytest.mark.parametrize("code", ["a\x00b", "x" * 10_000, "NO-SUCH"], ids=["nul", "long", "unknown"])
def test_a_well_code_that_cannot_be_is_400_not_a_crash(api, staff, well, code):
    response = record(api(staff), code)

    assert response.status_code == 400
    assert list(response.json()) == ["well"]


def test_the_list_shows_the_inspections_of_the_wells_in_scope(api, staff, officer, well, other_well):
    record(api(staff), well)
    record(api(staff), other_well)

    mine = api(officer).get(url("inspection-list")).json()
    everything = api(staff).get(url("inspection-list")).json()

    assert [row["well"] for row in mine["results"]] == [well.code]
    assert sorted(row["well"] for row in everything["results"]) == sorted([well.code, other_well.code])


def test_the_list_filters_by_well_and_result(api, staff, well, other_well):
    record(api(staff), well, result="damaged")
    record(api(staff), well, result="intact")
    record(api(staff), other_well, result="damaged")

    response = api(staff).get(url("inspection-list"), {"well": well.code, "result": "damaged"})

    assert [(row["well"], row["result"]) for row in response.json()["results"]] == [(well.code, "damaged")]


def test_an_inspection_of_another_townships_well_is_404(api, staff, officer, other_well):
    inspection_id = record(api(staff), other_well).json()["id"]

    assert api(officer).get(url("inspection-detail", pk=inspection_id)).status_code == 404
    assert api(staff).get(url("inspection-detail", pk=inspection_id)).status_code == 200
