"""One well: GET with its events, PATCH of its facts by role, POST of a new
well, and the events list."""

import pytest

from tests.api.helpers import url
from tests.factories import WellFactory
from wells.models import Well
from wells.workflow import perform

LIFECYCLE_MESSAGE = "This changes only through a transition: POST /api/v1/wells/<code>/transitions/."
HUGE_ID = 10**30

NEW_WELL = {
    "code": "CJ-2023-001",
    "owner_name": "昌吉某养殖场",
    "owner_kind": "enterprise",
    "township": "zhongshanlu",
    "village": "庄子村",
    "lat": 44.0123,
    "lng": 87.3012,
    "zone": "prohibited",
    "uses": ["livestock", "domestic"],
    "depth_m": 120.5,
    "license_no": "",
    "meter_no": "DB-1",
    "responsible_person": "李四",
    "deadline": "2023-11-30",
    "category": "unlicensed",
}


def notify(well, actor):
    data = {"notice_no": "N1", "served_on": "2023-06-01", "comply_by": "2023-06-10"}
    return perform(well, "notify", actor=actor, data=data, version=well.version)


# GET -------------------------------------------------------------------------


def test_the_detail_has_the_contract_fields_and_the_events(api, officer, well):
    notify(well, officer)

    body = api(officer).get(url("well-detail", code=well.code)).json()

    assert body["code"] == well.code
    assert body["status"] == "notified"
    assert body["version"] == 2
    assert body["comply_by"] == "2023-06-10"
    assert [(e["action"], e["from_status"], e["to_status"]) for e in body["events"]] == [
        ("notify", "inventoried", "notified")
    ]
    assert body["attachments"] == []


@pytest.mark.parametrize("code", ["CJ-001", "昌吉.井-7", "A B", "x%y"])
def test_any_code_without_a_slash_is_an_address(api, staff, zhongshan, campaign, code):
    WellFactory(code=code, township=zhongshan, campaign=campaign)

    response = api(staff).get(url("well-detail", code=code))

    assert response.status_code == 200
    assert response.json()["code"] == code


def test_an_officer_gets_404_for_another_townships_well(api, officer, other_well):
    response = api(officer).get(url("well-detail", code=other_well.code))

    assert response.status_code == 404
    assert response.json() == {"detail": "No such well."}


def test_a_code_with_a_nul_character_is_404_not_a_crash(api, staff, well):
    response = api(staff).get(f"/api/v1/wells/{well.code}%00/")

    assert response.status_code == 404


def test_the_detail_ignores_the_list_filters(api, staff, well):
    response = api(staff).get(url("well-detail", code=well.code), {"status": "sealed"})

    assert response.status_code == 200


@pytest.mark.parametrize("events", [5, 50])
def test_the_detail_costs_the_same_queries_for_5_and_50_events(
    api, admin_user, well, events, django_assert_max_num_queries
):
    for n in range(events):
        if n % 2 == 0:
            notify(well, admin_user)
        else:
            perform(well, "revert", actor=admin_user, data={"reason": "测试"}, version=well.version)
        well.refresh_from_db()
    client = api(admin_user)

    # Token with user, groups, the well with township and unit, its events,
    # its attachments.
    with django_assert_max_num_queries(5):
        response = client.get(url("well-detail", code=well.code))

    assert len(response.json()["events"]) == events


def test_the_events_endpoint_lists_the_history_oldest_first(api, officer, admin_user, well):
    notify(well, officer)
    well.refresh_from_db()
    perform(well, "revert", actor=admin_user, data={"reason": "送达有误"}, version=2)

    response = api(officer).get(url("well-events", code=well.code))

    assert response.status_code == 200
    assert [event["action"] for event in response.json()] == ["notify", "revert"]
    assert response.json()[1]["data"]["reason"] == "送达有误"


def test_the_events_of_another_townships_well_are_404(api, officer, other_well):
    assert api(officer).get(url("well-events", code=other_well.code)).status_code == 404


# PATCH -------------------------------------------------------------------------


def test_staff_may_change_any_fact_and_the_version_moves_on(api, staff, well, ningbian_unit):
    response = api(staff).patch(
        url("well-detail", code=well.code),
        {"owner_name": "新户主", "uses": ["domestic"], "responsible_unit": ningbian_unit.pk, "version": 1},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["owner_name"], body["uses"], body["responsible_unit"]) == ("新户主", ["domestic"], ningbian_unit.pk)
    assert body["version"] == 2
    well.refresh_from_db()
    assert (well.owner_name, well.uses, well.version) == ("新户主", ["domestic"], 2)


def test_an_officer_may_change_person_location_and_note_of_their_own_well(api, officer, well):
    changes = {
        "responsible_person": "王五",
        "lat": 44.5,
        "lng": 87.5,
        "note": "已接通自来水",
    }

    response = api(officer).patch(url("well-detail", code=well.code), changes)

    assert response.status_code == 200, response.content
    well.refresh_from_db()
    assert (well.responsible_person, float(well.lat), float(well.lng), well.note) == (
        "王五",
        44.5,
        87.5,
        "已接通自来水",
    )
    assert well.version == 2


def test_an_officer_may_not_change_other_facts(api, officer, well):
    response = api(officer).patch(url("well-detail", code=well.code), {"owner_name": "改名", "deadline": "2024-01-01"})

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Your role may change only latitude、longitude、note、responsible person; not: deadline、owner.",
        "field": "deadline",
    }
    unchanged = Well.objects.get(pk=well.pk)
    assert (unchanged.owner_name, unchanged.deadline, unchanged.version) == (well.owner_name, well.deadline, 1)


def test_an_officer_gets_404_patching_another_townships_well(api, officer, other_well):
    response = api(officer).patch(url("well-detail", code=other_well.code), {"note": "x"})

    assert response.status_code == 404


def test_a_leader_may_not_patch(api, leader, well):
    response = api(leader).patch(url("well-detail", code=well.code), {"note": "x"})

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not do this."}


def test_a_member_unit_gets_404_patching_a_well_without_its_task(api, member, well):
    assert api(member).patch(url("well-detail", code=well.code), {"note": "x"}).status_code == 404


@pytest.mark.parametrize("field", ["status", "enforced", "comply_by"])
def test_the_lifecycle_is_not_patched(api, staff, well, field):
    value = {"status": "accepted", "enforced": True, "comply_by": "2023-06-01"}[field]

    response = api(staff).patch(url("well-detail", code=well.code), {field: value})

    assert response.status_code == 400
    assert response.json() == {field: [LIFECYCLE_MESSAGE]}
    assert Well.objects.get(pk=well.pk).version == 1


def test_a_patch_with_a_stale_version_is_409(api, staff, officer, well):
    notify(well, officer)

    response = api(staff).patch(url("well-detail", code=well.code), {"owner_name": "新户主", "version": 1})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This well was changed by someone else (version 2, you have 1). Reload it and try again.",
        "field": "version",
    }
    assert Well.objects.get(pk=well.pk).owner_name != "新户主"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"lat": 44.1, "lng": None}, {"non_field_errors": ["Give both latitude and longitude, or neither."]}),
        ({"lat": 64.1}, {"lat": ["Ensure this value is less than or equal to 54."]}),
        ({"uses": []}, {"uses": ["This list may not be empty."]}),
        ({"uses": ["drinking"]}, {"uses": {"0": ['"drinking" is not a valid choice.']}}),
        ({"township": "nowhere"}, {"township": ["Object with code=nowhere does not exist."]}),
        ({"responsible_unit": HUGE_ID}, {"responsible_unit": [f'Invalid pk "{HUGE_ID}" - object does not exist.']}),
    ],
    ids=["lat-without-lng", "lat-outside-china", "no-use", "unknown-use", "unknown-township", "huge-unit-id"],
)
def test_a_bad_fact_is_400_and_changes_nothing(api, staff, well, changes, errors):
    response = api(staff).patch(url("well-detail", code=well.code), changes)

    assert response.status_code == 400
    assert response.json() == errors
    assert Well.objects.get(pk=well.pk).version == 1


@pytest.mark.parametrize("method", ["put", "delete"])
def test_wells_are_neither_replaced_nor_deleted(api, admin_user, well, method):
    response = getattr(api(admin_user), method)(url("well-detail", code=well.code), NEW_WELL)

    assert response.status_code == 405
    assert Well.objects.filter(pk=well.pk).exists()


# POST ----------------------------------------------------------------------


def test_staff_adds_a_well_which_starts_inventoried(api, staff, zhongshan, zhongshan_unit, campaign):
    body = {**NEW_WELL, "responsible_unit": zhongshan_unit.pk, "campaign": campaign.pk}

    response = api(staff).post(url("well-list"), body)

    assert response.status_code == 201, response.content
    created = response.json()
    assert (created["code"], created["status"], created["version"]) == ("CJ-2023-001", "inventoried", 1)
    assert created["uses"] == ["domestic", "livestock"]
    assert created["events"] == []
    assert Well.objects.get(code="CJ-2023-001").township == zhongshan


@pytest.mark.parametrize("persona", ["officer", "leader", "member"])
def test_only_the_bureau_adds_wells(api, request, zhongshan, zhongshan_unit, campaign, persona):
    body = {**NEW_WELL, "responsible_unit": zhongshan_unit.pk, "campaign": campaign.pk}

    response = api(request.getfixturevalue(persona)).post(url("well-list"), body)

    assert response.status_code == 403
    assert not Well.objects.exists()


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"code": "TEST-EXISTING"}, {"code": ["well with this well code already exists."]}),
        ({"code": "CJ/1"}, {"code": ["A well code cannot contain “/” or be “.” or “..”."]}),
        ({"status": "accepted"}, {"status": [LIFECYCLE_MESSAGE]}),
        ({"category": "retained", "uses": ["greening"]}, {"note": ["Say why a retained well is kept."]}),
        ({"owner_kind": "alien"}, {"owner_kind": ['"alien" is not a valid choice.']}),
    ],
    ids=["duplicate", "slash", "status", "retained-without-reason", "owner-kind"],
)
def test_a_bad_new_well_is_400_and_nothing_is_added(api, staff, zhongshan, zhongshan_unit, campaign, changes, errors):
    WellFactory(code="TEST-EXISTING", township=zhongshan, campaign=campaign)
    body = {**NEW_WELL, "responsible_unit": zhongshan_unit.pk, "campaign": campaign.pk, **changes}

    response = api(staff).post(url("well-list"), body)

    assert response.status_code == 400
    assert response.json() == errors
    assert Well.objects.count() == 1
