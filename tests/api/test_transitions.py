"""POST /api/v1/wells/{code}/transitions/: whole lifecycles over the API, as
each role that may act, and every kind of refusal with its status and
message (400 guard or field, 403 role, 404 scope, 409 stale)."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.choices import Step
from tasks.models import Task
from tests.api.helpers import TODAY, png_bytes, url
from tests.factories import UnitFactory, WellFactory
from wells.choices import Category, Status, Use
from wells.models import Well, WellEvent

LICENCE_NO = "取水(昌)字[2015]第0012号"

# Not the shared ``notice``: its comply-by date has passed at the clock's
# 2023-06-15, so that staff may escalate it.
NOTICE = {"notice_no": "昌水关字〔2023〕1号", "served_on": "2023-06-01", "comply_by": "2023-06-10"}


def act(client, well, action, version, **fields):
    return client.post(url("well-transitions", code=well.code), {"action": action, "version": version, **fields})


def ok(response, status, version):
    """The response is the updated well in ``status`` at ``version``."""
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == status
    assert body["version"] == version
    return body


def upload_photo(client, well):
    photo = SimpleUploadedFile("封井.png", png_bytes(), content_type="image/png")
    response = client.post(
        url("well-attachments", code=well.code), {"file": photo, "kind": "photo"}, format="multipart"
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def assert_unchanged(well, status, version):
    well.refresh_from_db()
    assert (well.status, well.version) == (status, version)


# Whole lifecycles ----------------------------------------------------------


def test_an_officer_and_staff_close_a_domestic_well_from_notice_to_acceptance(api, officer, staff, zhongshan, campaign):
    well = WellFactory(township=zhongshan, campaign=campaign, uses=[Use.DOMESTIC, Use.IRRIGATION])
    township, bureau = api(officer), api(staff)

    body = ok(act(township, well, "notify", 1, **NOTICE, note="送达本人"), "notified", 2)
    assert body["events"][-1] == {
        "id": WellEvent.objects.get(well=well, action="notify").pk,
        "action": "notify",
        "from_status": "inventoried",
        "to_status": "notified",
        "actor_name": str(officer),
        "created_at": body["events"][-1]["created_at"],
        "note": "送达本人",
        "data": {"notice_no": NOTICE["notice_no"], "served_on": "2023-06-01", "comply_by": "2023-06-10"},
    }

    # 先通水后关停: the power stays on until the replacement supply is in.
    refused = act(township, well, "disconnect", 2, disconnected_on="2023-06-12")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "This well supplies domestic water: record the replacement supply as connected first.",
        "field": "supply_connected_on",
    }
    # The supply is recorded only through its task, by its unit or the bureau.
    patched = township.patch(url("well-detail", code=well.code), {"supply_connected_on": "2023-06-11", "version": 2})
    assert patched.status_code == 400
    supply = Task.objects.create(well=well, unit=UnitFactory(name="市清源水务有限责任公司"), step=Step.SUPPLY)
    evidence = upload_photo(bureau, well)
    completed = bureau.post(
        url("task-complete", pk=supply.pk),
        {"version": 2, "supply_connected_on": "2023-06-11", "attachments": [evidence]},
        format="json",
    )
    assert completed.status_code == 200, completed.content
    assert Well.objects.get(pk=well.pk).version == 3

    ok(act(township, well, "disconnect", 3, disconnected_on="2023-06-12"), "disconnected", 4)
    photo = upload_photo(township, well)
    body = ok(
        act(township, well, "seal", 4, sealed_on="2023-06-13", method="回填封井", attachments=[photo]), "sealed", 5
    )
    assert body["events"][-1]["data"]["attachments"] == [photo]

    refused = act(township, well, "accept", 5, accepted_on="2023-06-14", inspectors="王五")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role may not “Accept and strike off”."}

    body = ok(act(bureau, well, "accept", 5, accepted_on="2023-06-14", inspectors="王五、赵六"), "accepted", 6)
    assert [event["action"] for event in body["events"]] == ["notify", "disconnect", "seal", "accept"]
    assert WellEvent.objects.filter(well=well).count() == 4


def test_staff_revokes_the_licence_of_a_licensed_well_between_notice_and_power_cut(api, officer, staff, well):
    Well.objects.filter(pk=well.pk).update(category=Category.LICENSED, license_no=LICENCE_NO)
    township, bureau = api(officer), api(staff)

    ok(act(township, well, "notify", 1, **NOTICE), "notified", 2)
    refused = act(township, well, "disconnect", 2, disconnected_on="2023-06-12")
    assert refused.status_code == 400
    assert refused.json() == {"detail": "Revoke the abstraction licence before cutting the power of a licensed well."}
    refused = act(township, well, "revoke_license", 2, revocation_no="昌水许销〔2023〕3号", revoked_on="2023-06-05")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role may not “Revoke licence”."}

    body = ok(
        act(bureau, well, "revoke_license", 2, revocation_no="昌水许销〔2023〕3号", revoked_on="2023-06-05"),
        "license_revoked",
        3,
    )
    assert body["events"][-1]["data"]["license_no"] == LICENCE_NO
    ok(act(township, well, "disconnect", 3, disconnected_on="2023-06-12"), "disconnected", 4)
    photo = upload_photo(township, well)
    ok(act(township, well, "seal", 4, sealed_on="2023-06-13", method="回填", attachments=[photo]), "sealed", 5)
    ok(act(bureau, well, "accept", 5, accepted_on="2023-06-14", inspectors="王五"), "accepted", 6)


def test_a_well_found_in_use_is_reactivated_and_notified_again_by_its_officer(api, officer, zhongshan, campaign):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)
    township = api(officer)

    body = ok(act(township, well, "reactivate", 1, reason="巡查发现私自复用", deadline="2023-12-31"), "reactivated", 2)
    assert body["events"][-1]["data"] == {"reason": "巡查发现私自复用", "deadline": "2023-12-31"}
    assert body["deadline"] == "2023-12-31"
    ok(act(township, well, "notify", 2, **NOTICE), "notified", 3)


def test_staff_escalates_a_notice_past_its_comply_by_date(api, officer, staff, well):
    ok(act(api(officer), well, "notify", 1, **NOTICE), "notified", 2)

    body = ok(act(api(staff), well, "escalate", 2, reason="逾期未自行拆除"), "notified", 3)

    assert body["enforced"] is True
    assert body["events"][-1]["action"] == "escalate"


def test_escalation_before_the_comply_by_date_is_refused(api, officer, staff, well):
    ok(
        act(api(officer), well, "notify", 1, notice_no="N1", served_on="2023-06-01", comply_by="2023-06-30"),
        "notified",
        2,
    )

    response = act(api(staff), well, "escalate", 2, reason="催办")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "The owner still has until the comply-by date; enforcement is possible only after it."
    }
    assert_unchanged(well, Status.NOTIFIED, 2)


def test_staff_retains_and_releases_a_well(api, staff, well):
    bureau = api(staff)

    body = ok(act(bureau, well, "retain", 1, reason="城市应急备用水源", review_on="2024-06-30"), "retained", 2)
    assert body["review_on"] == "2024-06-30"
    body = ok(act(bureau, well, "release", 2, reason="替代水源已建成"), "inventoried", 3)
    assert body["review_on"] is None


def test_only_the_bureau_admin_reverts_the_last_action(api, admin_user, staff, officer, well):
    ok(act(api(officer), well, "notify", 1, **NOTICE), "notified", 2)

    refused = act(api(staff), well, "revert", 2, reason="误操作")
    assert refused.status_code == 403
    assert refused.json() == {"detail": "Your role may not “Revert last action”."}

    body = ok(act(api(admin_user), well, "revert", 2, reason="误操作"), "inventoried", 3)
    assert body["events"][-1]["action"] == "revert"
    assert body["comply_by"] is None


# Refusals ------------------------------------------------------------------


def test_a_seal_without_a_photo_is_400_with_the_reason(api, officer, zhongshan, campaign):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.DISCONNECTED)

    response = act(api(officer), well, "seal", 1, sealed_on="2023-06-13", method="回填")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Attach at least one photo of the sealed well (a JPEG or PNG image).",
        "field": "attachments",
    }
    assert_unchanged(well, Status.DISCONNECTED, 1)
    assert not WellEvent.objects.exists()


def test_an_action_not_possible_in_the_current_state_is_400(api, staff, well):
    response = act(api(staff), well, "accept", 1, accepted_on="2023-06-14", inspectors="王五")

    assert response.status_code == 400
    assert response.json() == {"detail": "“Accept and strike off” is not possible while the well is “Inventoried”."}
    assert_unchanged(well, Status.INVENTORIED, 1)


def test_a_missing_action_field_is_400_naming_the_field(api, officer, well):
    response = act(api(officer), well, "notify", 1, notice_no="N1", served_on="2023-06-01")

    assert response.status_code == 400
    assert response.json() == {"detail": "Fill in the comply-by date.", "field": "comply_by"}
    assert_unchanged(well, Status.INVENTORIED, 1)


def test_a_date_in_the_future_is_400(api, officer, well):
    tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()

    response = act(api(officer), well, "notify", 1, notice_no="N1", served_on=tomorrow, comply_by="2023-07-01")

    assert response.status_code == 400
    assert response.json() == {"detail": "The date served cannot be in the future.", "field": "served_on"}


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"action": "fly", "version": 1}, {"action": ['"fly" is not a valid choice.']}),
        ({"action": "notify"}, {"version": ["This field is required."]}),
        ({"action": "notify", "version": "one"}, {"version": ["A valid integer is required."]}),
        (
            {"action": "notify", "version": 1, "served_on": "2023-13-01"},
            {"served_on": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]},
        ),
        (
            {"action": "seal", "version": 1, "attachments": ["photo"]},
            {"attachments": {"0": ["A valid integer is required."]}},
        ),
        (
            {"action": "notify", "version": 1, "notice_no": "N\x001"},
            {"notice_no": ["Null characters are not allowed."]},
        ),
    ],
    ids=["unknown-action", "no-version", "bad-version", "bad-date", "bad-attachment-id", "nul"],
)
def test_a_malformed_transition_is_400_with_field_messages(api, officer, well, fields, errors):
    response = api(officer).post(url("well-transitions", code=well.code), fields)

    assert response.status_code == 400
    assert response.json() == errors
    assert_unchanged(well, Status.INVENTORIED, 1)


def test_a_leader_gets_403_for_any_action(api, leader, well):
    response = act(api(leader), well, "notify", 1, **NOTICE)

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not do this."}
    assert_unchanged(well, Status.INVENTORIED, 1)


def test_an_officer_gets_404_for_another_townships_well(api, officer, other_well):
    response = act(api(officer), other_well, "notify", 1, **NOTICE)

    assert response.status_code == 404
    assert response.json() == {"detail": "No such well."}
    assert_unchanged(other_well, Status.INVENTORIED, 1)


def test_a_member_unit_gets_404_for_a_well_without_its_task(api, member, well):
    response = act(api(member), well, "notify", 1, **NOTICE)

    assert response.status_code == 404


def test_a_stale_version_is_409_and_changes_nothing(api, officer, staff, well):
    ok(act(api(officer), well, "notify", 1, **NOTICE), "notified", 2)

    # Staff read version 1 before the officer's notice and act on it.
    response = act(api(staff), well, "escalate", 1, reason="逾期")

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This well was changed by someone else (version 2, you have 1). Reload it and try again.",
        "field": "version",
    }
    assert_unchanged(well, Status.NOTIFIED, 2)
    assert WellEvent.objects.filter(well=well).count() == 1


def test_an_unknown_well_is_404(api, staff, well):
    response = api(staff).post(url("well-transitions", code="NO-SUCH"), {"action": "notify", "version": 1})

    assert response.status_code == 404
    assert response.json() == {"detail": "No such well."}
