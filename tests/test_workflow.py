"""The well's lifecycle (DESIGN §3) through its one entry point,
``wells.workflow.perform``: scope, versions, every guard, revert, the
hooks, and two whole walks from the ledger to acceptance. Every action from
every state by every role, against the contract's tables written out by
hand, is in ``test_rule_tables.py``.

The clock stands at 2023-06-15 10:00 in Shanghai unless a test moves it."""

import datetime
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import translation

from accounts.choices import Role
from tests.factories import WellFactory
from tests.lifecycle import LICENCE_NO, PERSONAS, assert_refused, attach
from wells import changes
from wells.choices import TRANSITIONS, Action, AttachmentKind, Category, InspectionResult, Status, Use
from wells.models import Attachment, Inspection, Well, WellEvent
from wells.workflow import WorkflowError, available_actions, effective_events, perform, read_past_date

pytestmark = pytest.mark.usefixtures("clock")

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2023, 6, 15)


def _case_id(value):
    return str(value)


@pytest.fixture(autouse=True)
def english():
    """The assertions read the English source messages, whatever catalogue
    the default language has."""
    with translation.override("en"):
        yield


def act(well, action, actor, data):
    """Take an action with the version just read, as a client would."""
    current = Well.objects.get(pk=well.pk)
    return perform(current, action, actor=actor, data=data, version=current.version)


# Scope and unknown actions ------------------------------------------------
# (Every action from every state by every role: tests/test_rule_tables.py.)


@pytest.mark.parametrize("action", list(Action), ids=_case_id)
def test_a_member_unit_without_a_task_on_the_well_gets_not_found(ready_well, member, action):
    case = ready_well(action, sorted(TRANSITIONS[action][0])[0])

    assert_refused(case.well, action, actor=member, data=case.data, code=WorkflowError.NOT_FOUND)


@pytest.mark.parametrize("action", list(Action), ids=_case_id)
def test_an_officer_gets_not_found_for_another_townships_well_whatever_the_action(ready_well, other_officer, action):
    case = ready_well(action, sorted(TRANSITIONS[action][0])[0])

    assert_refused(case.well, action, actor=other_officer, data=case.data, code=WorkflowError.NOT_FOUND)


def test_an_inactive_user_gets_not_found(ready_well, staff):
    staff.is_active = False
    staff.save()
    case = ready_well(Action.NOTIFY, Status.INVENTORIED)
    actor = type(staff).objects.get(pk=staff.pk)

    assert_refused(case.well, Action.NOTIFY, actor=actor, data=case.data, code=WorkflowError.NOT_FOUND)


def test_an_unknown_action_is_refused_with_the_field_named(well, admin_user):
    error = assert_refused(well, "demolish", actor=admin_user, data={}, code=WorkflowError.REFUSED)

    assert error.field == "action"
    assert "demolish" in str(error)


# Stale versions ----------------------------------------------------------


def test_a_stale_version_is_refused_and_changes_nothing(well, staff, officer):
    read_by_staff = Well.objects.get(pk=well.pk)
    act(well, Action.NOTIFY, officer, {"notice_no": "N1", "served_on": "2023-06-01", "comply_by": "2023-06-30"})

    error = assert_refused(
        read_by_staff,
        Action.RETAIN,
        actor=staff,
        data={"reason": "应急", "review_on": "2024-01-01"},
        code=WorkflowError.STALE,
        version=read_by_staff.version,
    )

    assert error.field == "version"
    assert Well.objects.get(pk=well.pk).status == Status.NOTIFIED


def test_a_version_from_the_future_is_stale_too(well, officer):
    assert_refused(
        well,
        Action.NOTIFY,
        actor=officer,
        data={"notice_no": "N1", "served_on": "2023-06-01", "comply_by": "2023-06-30"},
        code=WorkflowError.STALE,
        version=well.version + 1,
    )


def test_the_version_may_come_as_text_from_a_form(well, officer):
    perform(
        well,
        Action.NOTIFY,
        actor=officer,
        data={"notice_no": "N1", "served_on": "2023-06-01", "comply_by": "2023-06-30"},
        version=str(well.version),
    )

    assert Well.objects.get(pk=well.pk).version == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_clients_acting_on_the_same_version_cannot_both_win(
    zhongshan, campaign, officer, staff, monkeypatch, notice
):
    well = WellFactory(township=zhongshan, campaign=campaign)
    officer_holds_the_row = threading.Event()

    def slow_officer(well, action, actor, data):
        # Runs under the row lock: keep it while the other client arrives.
        if actor.pk == officer.pk:
            officer_holds_the_row.set()
            time.sleep(0.5)

    monkeypatch.setitem(changes._HOOKS, "check", [slow_officer])
    outcomes = {}

    def client(actor, action, data):
        try:
            perform(Well.objects.get(pk=well.pk), action, actor=actor, data=data, version=1)
            outcomes[actor.username] = "done"
        except WorkflowError as error:
            outcomes[actor.username] = error.code
        finally:
            connection.close()

    first = threading.Thread(target=client, args=(officer, Action.NOTIFY, notice))
    second = threading.Thread(target=client, args=(staff, Action.RETAIN, {"reason": "应急", "review_on": "2024-06-30"}))
    first.start()
    assert officer_holds_the_row.wait(10)
    second.start()
    first.join(10)
    second.join(10)

    assert outcomes == {officer.username: "done", staff.username: WorkflowError.STALE}
    well.refresh_from_db()
    assert (well.status, well.version, well.events.count()) == (Status.NOTIFIED, 2, 1)


# Guards: notify ----------------------------------------------------------


def test_a_notice_without_a_number_gets_the_campaigns_next_one(zhongshan, campaign, officer, notice):
    campaign.notice_prefix = "昌水关"
    campaign.save()
    first, second = (
        WellFactory(township=zhongshan, campaign=campaign),
        WellFactory(township=zhongshan, campaign=campaign),
    )
    unnumbered = {**notice, "notice_no": ""}

    act(first, Action.NOTIFY, officer, unnumbered)
    act(second, Action.NOTIFY, officer, {key: value for key, value in unnumbered.items() if key != "notice_no"})

    assert first.events.get().data["notice_no"] == "昌水关〔2023〕第1号"
    assert second.events.get().data["notice_no"] == "昌水关〔2023〕第2号"
    campaign.refresh_from_db()
    assert campaign.last_notice_number == 2


def test_a_notice_already_numbered_keeps_its_number_and_takes_none_from_the_sequence(well, officer, notice):
    act(well, Action.NOTIFY, officer, {**notice, "notice_no": "中街发〔2023〕7号"})

    assert well.events.get().data["notice_no"] == "中街发〔2023〕7号"
    well.campaign.refresh_from_db()
    assert well.campaign.last_notice_number == 0


def test_a_notice_refused_after_its_number_was_drawn_gives_the_number_back(well, officer, notice, monkeypatch):
    def refuse(well, event):
        raise WorkflowError("a hook that refuses after the guard")

    monkeypatch.setitem(changes._HOOKS, "on_action", [refuse])

    assert_refused(well, Action.NOTIFY, actor=officer, data={**notice, "notice_no": ""}, code=WorkflowError.REFUSED)

    well.campaign.refresh_from_db()
    assert well.campaign.last_notice_number == 0
    assert not well.events.exists()


def test_a_campaign_without_a_prefix_numbers_its_notices_all_the_same(well, officer, notice):
    act(well, Action.NOTIFY, officer, {**notice, "notice_no": ""})

    assert well.events.get().data["notice_no"] == "关停通知〔2023〕第1号"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no row locks; CI runs this on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_notices_served_at_once_never_share_a_number(zhongshan, campaign, officer, staff, monkeypatch, notice):
    wells = [WellFactory(township=zhongshan, campaign=campaign) for _ in range(2)]
    first_holds_its_number = threading.Event()
    let_go = threading.Event()

    def hold_the_first(well, event):
        # on_action runs after the number was drawn, inside the transaction.
        if not first_holds_its_number.is_set():
            first_holds_its_number.set()
            let_go.wait(10)

    monkeypatch.setitem(changes._HOOKS, "on_action", [*changes._HOOKS["on_action"], hold_the_first])

    def serve(well, actor):
        try:
            perform(Well.objects.get(pk=well.pk), Action.NOTIFY, actor=actor, data={**notice, "notice_no": ""})
        finally:
            connection.close()

    first = threading.Thread(target=serve, args=(wells[0], officer))
    second = threading.Thread(target=serve, args=(wells[1], staff))
    first.start()
    assert first_holds_its_number.wait(10)
    second.start()
    second.join(1)
    assert second.is_alive()  # waiting for the campaign row the first holds
    let_go.set()
    first.join(10)
    second.join(10)

    numbers = sorted(WellEvent.objects.filter(well__in=wells).values_list("data__notice_no", flat=True))
    assert numbers == ["关停通知〔2023〕第1号", "关停通知〔2023〕第2号"]


def test_notify_records_the_comply_by_date_on_the_well(well, officer, notice):
    act(well, Action.NOTIFY, officer, notice)

    well.refresh_from_db()
    assert well.comply_by == datetime.date(2023, 6, 30)
    assert well.events.get().changes == {
        "status": [Status.INVENTORIED, Status.NOTIFIED],
        "comply_by": [None, "2023-06-30"],
    }


def test_notify_is_refused_when_the_comply_by_date_is_before_the_date_served(well, officer, notice):
    error = assert_refused(
        well,
        Action.NOTIFY,
        actor=officer,
        data={**notice, "served_on": "2023-06-10", "comply_by": "2023-06-09"},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "comply_by"


def test_notify_accepts_a_comply_by_date_on_the_day_served(well, officer, notice):
    act(well, Action.NOTIFY, officer, {**notice, "served_on": "2023-06-10", "comply_by": "2023-06-10"})

    assert Well.objects.get(pk=well.pk).status == Status.NOTIFIED


def test_notify_accepts_a_comply_by_date_in_the_future(well, officer, notice):
    act(well, Action.NOTIFY, officer, {**notice, "comply_by": "2024-03-31"})

    assert Well.objects.get(pk=well.pk).comply_by == datetime.date(2024, 3, 31)


@pytest.mark.parametrize(
    "value", ["2023/06/01", "20230601", "2023-W22-4", "2023-02-30", "六月一日", "２０２３-０６-０１"]
)
def test_a_date_not_written_yyyy_mm_dd_is_refused(well, officer, value, notice):
    error = assert_refused(
        well, Action.NOTIFY, actor=officer, data={**notice, "served_on": value}, code=WorkflowError.REFUSED
    )

    assert error.field == "served_on"
    assert "YYYY-MM-DD" in str(error)


def test_dates_may_be_given_as_date_objects(well, officer):
    data = {"notice_no": "N1", "served_on": datetime.date(2023, 6, 1), "comply_by": datetime.date(2023, 6, 30)}
    act(well, Action.NOTIFY, officer, data)

    assert well.events.get().data["served_on"] == "2023-06-01"


# Guards: a date in the future --------------------------------------------

# (action, from, the date field of the thing done, to)
PAST_DATE_FIELDS = [
    (Action.NOTIFY, Status.INVENTORIED, "served_on", Status.NOTIFIED),
    (Action.REVOKE_LICENSE, Status.NOTIFIED, "revoked_on", Status.LICENSE_REVOKED),
    (Action.DISCONNECT, Status.LICENSE_REVOKED, "disconnected_on", Status.DISCONNECTED),
    (Action.SEAL, Status.DISCONNECTED, "sealed_on", Status.SEALED),
    (Action.ACCEPT, Status.SEALED, "accepted_on", Status.ACCEPTED),
]


@pytest.mark.parametrize(("action", "status", "field", "_to_status"), PAST_DATE_FIELDS, ids=_case_id)
def test_a_date_of_something_done_is_refused_when_it_is_in_the_future(
    ready_well, admin_user, action, status, field, _to_status
):
    case = ready_well(action, status)
    data = {**case.data, field: "2023-06-16"}
    if action == Action.NOTIFY:
        data["comply_by"] = "2023-07-16"

    error = assert_refused(case.well, action, actor=admin_user, data=data, code=WorkflowError.REFUSED)

    assert error.field == field
    assert "future" in str(error)


@pytest.mark.parametrize(("action", "status", "field", "to_status"), PAST_DATE_FIELDS, ids=_case_id)
def test_today_is_the_shanghai_date_for_dates_of_things_done(
    ready_well, admin_user, clock, action, status, field, to_status
):
    # 00:30 on 16 June in Shanghai is still 15 June in UTC: the 16th is today.
    clock.move_to(datetime.datetime(2023, 6, 15, 16, 30, tzinfo=datetime.UTC))
    case = ready_well(action, status)
    data = {**case.data, field: "2023-06-16"}

    perform(case.well, action, actor=admin_user, data=data, version=case.well.version)

    assert Well.objects.get(pk=case.well.pk).status == to_status


# Guards: missing fields --------------------------------------------------

REQUIRED_FIELDS = [
    (Action.NOTIFY, Status.INVENTORIED, "served_on"),
    (Action.NOTIFY, Status.INVENTORIED, "comply_by"),
    (Action.REVOKE_LICENSE, Status.NOTIFIED, "revocation_no"),
    (Action.REVOKE_LICENSE, Status.NOTIFIED, "revoked_on"),
    (Action.DISCONNECT, Status.NOTIFIED, "disconnected_on"),
    (Action.SEAL, Status.DISCONNECTED, "sealed_on"),
    (Action.SEAL, Status.DISCONNECTED, "method"),
    (Action.SEAL, Status.DISCONNECTED, "attachments"),
    (Action.ACCEPT, Status.SEALED, "accepted_on"),
    (Action.ACCEPT, Status.SEALED, "inspectors"),
    (Action.RETAIN, Status.INVENTORIED, "reason"),
    (Action.RETAIN, Status.INVENTORIED, "review_on"),
    (Action.RELEASE, Status.RETAINED, "reason"),
    (Action.REACTIVATE, Status.ACCEPTED, "reason"),
    (Action.REACTIVATE, Status.ACCEPTED, "deadline"),
    (Action.ESCALATE, Status.NOTIFIED, "reason"),
    (Action.REVERT, Status.NOTIFIED, "reason"),
]


@pytest.mark.parametrize(("action", "status", "field"), REQUIRED_FIELDS, ids=_case_id)
@pytest.mark.parametrize("how", ["absent", "blank"])
def test_a_missing_field_is_refused_with_its_name(ready_well, admin_user, action, status, field, how):
    case = ready_well(action, status)
    data = dict(case.data)
    if how == "absent":
        del data[field]
    else:
        data[field] = [] if field == "attachments" else "   "

    error = assert_refused(case.well, action, actor=admin_user, data=data, code=WorkflowError.REFUSED)

    assert error.field == field


def test_a_text_field_longer_than_500_characters_is_refused(well, officer, notice):
    error = assert_refused(
        well, Action.NOTIFY, actor=officer, data={**notice, "notice_no": "号" * 501}, code=WorkflowError.REFUSED
    )

    assert error.field == "notice_no"


def test_the_note_is_optional(well, officer, notice):
    act(well, Action.NOTIFY, officer, notice)

    assert well.events.get().note == ""


# Guards: revoke_license and disconnect -----------------------------------


def test_revoking_the_licence_of_an_unlicensed_well_is_refused(zhongshan, campaign, staff):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED, license_no="")

    error = assert_refused(
        well,
        Action.REVOKE_LICENSE,
        actor=staff,
        data={"revocation_no": "R1", "revoked_on": "2023-06-05"},
        code=WorkflowError.REFUSED,
    )

    assert "licence" in str(error)


def test_disconnecting_a_licensed_well_straight_from_notified_is_refused(zhongshan, campaign, officer):
    well = WellFactory(
        township=zhongshan, campaign=campaign, status=Status.NOTIFIED, license_no=LICENCE_NO, category=Category.LICENSED
    )

    error = assert_refused(
        well, Action.DISCONNECT, actor=officer, data={"disconnected_on": "2023-06-10"}, code=WorkflowError.REFUSED
    )

    assert "Revoke the abstraction licence" in str(error)


def test_disconnecting_an_unlicensed_well_straight_from_notified_is_allowed(zhongshan, campaign, officer):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED)

    act(well, Action.DISCONNECT, officer, {"disconnected_on": "2023-06-10"})

    assert Well.objects.get(pk=well.pk).status == Status.DISCONNECTED


@pytest.fixture
def domestic_well(zhongshan, campaign):
    return WellFactory(
        township=zhongshan, campaign=campaign, status=Status.NOTIFIED, uses=[Use.DOMESTIC, Use.LIVESTOCK]
    )


def test_disconnecting_a_domestic_well_is_refused_before_the_replacement_supply_is_connected(domestic_well, officer):
    error = assert_refused(
        domestic_well,
        Action.DISCONNECT,
        actor=officer,
        data={"disconnected_on": "2023-06-10"},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "supply_connected_on"


def test_disconnecting_a_domestic_well_is_refused_when_the_supply_was_connected_after_the_power_cut(
    domestic_well, officer
):
    Well.objects.filter(pk=domestic_well.pk).update(supply_connected_on=datetime.date(2023, 6, 11))

    error = assert_refused(
        domestic_well,
        Action.DISCONNECT,
        actor=officer,
        data={"disconnected_on": "2023-06-10"},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "disconnected_on"
    assert "2023-06-11" in str(error)


def test_a_domestic_well_may_be_disconnected_on_the_day_its_supply_is_connected(domestic_well, officer):
    Well.objects.filter(pk=domestic_well.pk).update(supply_connected_on=datetime.date(2023, 6, 10))

    act(domestic_well, Action.DISCONNECT, officer, {"disconnected_on": "2023-06-10"})

    assert Well.objects.get(pk=domestic_well.pk).status == Status.DISCONNECTED


# Guards: seal --------------------------------------------------------------


@pytest.fixture
def disconnected_well(zhongshan, campaign):
    return WellFactory(township=zhongshan, campaign=campaign, status=Status.DISCONNECTED)


SEALING = {"sealed_on": "2023-06-12", "method": "回填封井"}


def test_seal_is_refused_without_a_photo(disconnected_well, officer):
    error = assert_refused(disconnected_well, Action.SEAL, actor=officer, data=SEALING, code=WorkflowError.REFUSED)

    assert error.field == "attachments"


def test_seal_is_refused_with_a_photo_uploaded_but_not_given(disconnected_well, officer):
    attach(disconnected_well, officer)

    error = assert_refused(disconnected_well, Action.SEAL, actor=officer, data=SEALING, code=WorkflowError.REFUSED)

    assert error.field == "attachments"


@pytest.mark.parametrize("kind", [AttachmentKind.NOTICE, AttachmentKind.ACCEPTANCE, AttachmentKind.OTHER])
def test_seal_is_refused_with_only_a_document_that_is_not_a_photo(disconnected_well, officer, kind):
    document = attach(disconnected_well, officer, kind)

    error = assert_refused(
        disconnected_well,
        Action.SEAL,
        actor=officer,
        data={**SEALING, "attachments": [document.pk]},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "attachments"
    assert Attachment.objects.get(pk=document.pk).event is None


def test_seal_is_refused_with_another_wells_photo(disconnected_well, other_well, officer, admin_user):
    photo_of_another_well = attach(other_well, admin_user)

    error = assert_refused(
        disconnected_well,
        Action.SEAL,
        actor=officer,
        data={**SEALING, "attachments": [photo_of_another_well.pk]},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "attachments"


def test_seal_is_refused_when_one_of_the_attachments_is_another_wells(
    disconnected_well, other_well, officer, admin_user
):
    own_photo = attach(disconnected_well, officer)
    foreign_photo = attach(other_well, admin_user)

    error = assert_refused(
        disconnected_well,
        Action.SEAL,
        actor=officer,
        data={**SEALING, "attachments": [own_photo.pk, foreign_photo.pk]},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "attachments"
    assert Attachment.objects.get(pk=own_photo.pk).event is None


@pytest.mark.parametrize("ids", [["photo"], [None], "1,2"])
def test_seal_is_refused_when_attachments_are_not_ids(disconnected_well, officer, ids):
    error = assert_refused(
        disconnected_well, Action.SEAL, actor=officer, data={**SEALING, "attachments": ids}, code=WorkflowError.REFUSED
    )

    assert error.field == "attachments"


def test_seal_links_its_photo_and_documents_to_the_event(disconnected_well, officer):
    photo = attach(disconnected_well, officer)
    document = attach(disconnected_well, officer, AttachmentKind.OTHER)
    unrelated = attach(disconnected_well, officer)

    act(disconnected_well, Action.SEAL, officer, {**SEALING, "attachments": [str(document.pk), photo.pk]})

    event = disconnected_well.events.get()
    assert set(event.attachments.all()) == {photo, document}
    assert Attachment.objects.get(pk=unrelated.pk).event is None
    assert event.data["attachments"] == sorted([photo.pk, document.pk])


# Guards: accept, retain, release ------------------------------------------


def test_accept_is_forbidden_to_an_officer_even_on_their_own_well(zhongshan, campaign, officer):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED)

    assert_refused(
        well,
        Action.ACCEPT,
        actor=officer,
        data={"accepted_on": "2023-06-14", "inspectors": "李四"},
        code=WorkflowError.FORBIDDEN,
    )


@pytest.mark.parametrize(
    ("action", "status", "data"),
    [
        (Action.RETAIN, Status.INVENTORIED, {"reason": "应急", "review_on": "2024-06-30"}),
        (Action.RELEASE, Status.RETAINED, {"reason": "不再保留"}),
        (Action.ESCALATE, Status.NOTIFIED, {"reason": "逾期"}),
        (Action.REVOKE_LICENSE, Status.NOTIFIED, {"revocation_no": "R1", "revoked_on": "2023-06-05"}),
    ],
    ids=_case_id,
)
def test_bureau_only_actions_are_forbidden_to_an_officer(zhongshan, campaign, officer, action, status, data):
    well = WellFactory(
        township=zhongshan,
        campaign=campaign,
        status=status,
        license_no=LICENCE_NO,
        comply_by=datetime.date(2023, 6, 1),
    )

    assert_refused(well, action, actor=officer, data=data, code=WorkflowError.FORBIDDEN)


def test_retain_records_the_review_date_and_release_clears_it(well, staff):
    act(well, Action.RETAIN, staff, {"reason": "城市应急备用水源", "review_on": "2024-06-30"})
    assert Well.objects.get(pk=well.pk).review_on == datetime.date(2024, 6, 30)

    act(well, Action.RELEASE, staff, {"reason": "替代水源已建成"})

    well.refresh_from_db()
    assert (well.status, well.review_on) == (Status.INVENTORIED, None)


# Guards: reactivate --------------------------------------------------------


@pytest.fixture
def accepted_well(zhongshan, campaign):
    return WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED)


def inspect(well, result, officer):
    return Inspection.objects.create(
        well=well, inspected_on=TODAY, inspector=officer, inspector_name=str(officer), result=result
    )


def test_reactivate_records_the_inspection_that_found_the_well_in_use(accepted_well, officer):
    inspection = inspect(accepted_well, InspectionResult.IN_USE, officer)

    act(
        accepted_well,
        Action.REACTIVATE,
        officer,
        {"reason": "回头看发现复用", "inspection": inspection.pk, "deadline": "2023-12-31"},
    )

    assert accepted_well.events.get().data == {
        "reason": "回头看发现复用",
        "inspection": inspection.pk,
        "deadline": "2023-12-31",
    }
    accepted_well.refresh_from_db()
    assert accepted_well.deadline == datetime.date(2023, 12, 31)


def test_reactivate_is_refused_with_an_inspection_that_found_the_well_intact(accepted_well, officer):
    inspection = inspect(accepted_well, InspectionResult.INTACT, officer)

    error = assert_refused(
        accepted_well,
        Action.REACTIVATE,
        actor=officer,
        data={"reason": "复用", "inspection": inspection.pk},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "inspection"


def test_reactivate_is_refused_with_another_wells_inspection(accepted_well, other_well, officer, other_officer):
    inspection = inspect(other_well, InspectionResult.IN_USE, other_officer)

    error = assert_refused(
        accepted_well,
        Action.REACTIVATE,
        actor=officer,
        data={"reason": "复用", "inspection": inspection.pk},
        code=WorkflowError.REFUSED,
    )

    assert error.field == "inspection"


# Guards: escalate ----------------------------------------------------------


@pytest.fixture
def notified_well(well, officer):
    """Notified on 1 June with until 10 June to comply."""
    act(well, Action.NOTIFY, officer, {"notice_no": "N1", "served_on": "2023-06-01", "comply_by": "2023-06-10"})
    return Well.objects.get(pk=well.pk)


@pytest.mark.parametrize("moment", ["2023-06-09 12:00", "2023-06-10 00:01", "2023-06-10 23:59"])
def test_escalate_is_refused_until_the_comply_by_date_has_passed(notified_well, staff, clock, moment):
    clock.move_to(datetime.datetime.fromisoformat(moment).replace(tzinfo=SHANGHAI))

    error = assert_refused(notified_well, Action.ESCALATE, actor=staff, data={"reason": "逾期"}, code="refused")

    assert "comply-by" in str(error)


def test_escalate_is_allowed_the_day_after_the_comply_by_date(notified_well, staff, clock):
    clock.move_to(datetime.datetime(2023, 6, 11, 0, 1, tzinfo=SHANGHAI))

    act(notified_well, Action.ESCALATE, staff, {"reason": "逾期未关停"})

    well = Well.objects.get(pk=notified_well.pk)
    assert (well.status, well.enforced) == (Status.NOTIFIED, True)
    event = well.events.order_by("-pk").first()
    assert (event.from_status, event.to_status) == (Status.NOTIFIED, Status.NOTIFIED)
    assert event.changes == {"enforced": [False, True]}


def test_escalate_follows_the_shanghai_date_not_the_utc_date(notified_well, staff, clock):
    # 16:30 UTC on 10 June is 00:30 on 11 June in Shanghai: the date has passed.
    clock.move_to(datetime.datetime(2023, 6, 10, 16, 30, tzinfo=datetime.UTC))

    act(notified_well, Action.ESCALATE, staff, {"reason": "逾期未关停"})

    assert Well.objects.get(pk=notified_well.pk).enforced is True


def test_escalating_twice_is_refused(notified_well, staff):
    act(notified_well, Action.ESCALATE, staff, {"reason": "逾期未关停"})

    error = assert_refused(notified_well, Action.ESCALATE, actor=staff, data={"reason": "再次"}, code="refused")

    assert "already" in str(error)


def test_escalate_is_refused_on_a_well_without_a_comply_by_date(zhongshan, campaign, staff):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED, comply_by=None)

    assert_refused(well, Action.ESCALATE, actor=staff, data={"reason": "逾期"}, code=WorkflowError.REFUSED)


def test_an_enforced_well_stays_enforced_through_licence_revocation(zhongshan, campaign, staff):
    well = WellFactory(
        township=zhongshan,
        campaign=campaign,
        status=Status.NOTIFIED,
        license_no=LICENCE_NO,
        comply_by=datetime.date(2023, 6, 1),
    )
    act(well, Action.ESCALATE, staff, {"reason": "逾期"})

    act(well, Action.REVOKE_LICENSE, staff, {"revocation_no": "R1", "revoked_on": "2023-06-15"})

    well.refresh_from_db()
    assert (well.status, well.enforced) == (Status.LICENSE_REVOKED, True)
    assert_refused(well, Action.ESCALATE, actor=staff, data={"reason": "再次"}, code=WorkflowError.REFUSED)


# Revert --------------------------------------------------------------------


def test_revert_is_forbidden_to_bureau_staff(notified_well, staff):
    assert_refused(notified_well, Action.REVERT, actor=staff, data={"reason": "录错"}, code=WorkflowError.FORBIDDEN)


def test_revert_is_refused_when_nothing_was_done(well, admin_user):
    error = assert_refused(well, Action.REVERT, actor=admin_user, data={"reason": "录错"}, code="refused")

    assert str(error) == "There is no action to revert."


def test_revert_is_refused_once_every_action_is_undone(notified_well, admin_user):
    act(notified_well, Action.REVERT, admin_user, {"reason": "录错"})

    assert_refused(notified_well, Action.REVERT, actor=admin_user, data={"reason": "再撤"}, code="refused")


def test_reverting_twice_steps_back_twice_and_restores_the_fields(notified_well, admin_user, staff):
    act(notified_well, Action.ESCALATE, staff, {"reason": "逾期"})
    notify_event, escalate_event = notified_well.events.order_by("pk")

    act(notified_well, Action.REVERT, admin_user, {"reason": "强制关停录错"})

    well = Well.objects.get(pk=notified_well.pk)
    assert (well.status, well.enforced, well.comply_by) == (Status.NOTIFIED, False, datetime.date(2023, 6, 10))
    first_revert = well.events.order_by("-pk").first()
    assert (first_revert.action, first_revert.from_status, first_revert.to_status) == (
        Action.REVERT,
        Status.NOTIFIED,
        Status.NOTIFIED,
    )
    assert first_revert.data == {
        "reason": "强制关停录错",
        "reverted_event": escalate_event.pk,
        "reverted_action": Action.ESCALATE,
    }

    act(notified_well, Action.REVERT, admin_user, {"reason": "通知录错"})

    well = Well.objects.get(pk=notified_well.pk)
    assert (well.status, well.enforced, well.comply_by, well.version) == (Status.INVENTORIED, False, None, 5)
    second_revert = well.events.order_by("-pk").first()
    assert (second_revert.from_status, second_revert.to_status) == (Status.NOTIFIED, Status.INVENTORIED)
    assert second_revert.data["reverted_event"] == notify_event.pk
    assert well.events.count() == 4


def test_revert_restores_the_review_date_a_release_cleared(well, staff, admin_user):
    act(well, Action.RETAIN, staff, {"reason": "应急", "review_on": "2024-06-30"})
    act(well, Action.RELEASE, staff, {"reason": "释放"})

    act(well, Action.REVERT, admin_user, {"reason": "释放录错"})
    well.refresh_from_db()
    assert (well.status, well.review_on) == (Status.RETAINED, datetime.date(2024, 6, 30))

    act(well, Action.REVERT, admin_user, {"reason": "保留录错"})
    well.refresh_from_db()
    assert (well.status, well.review_on) == (Status.INVENTORIED, None)


def test_accept_records_the_date_on_the_well_and_revert_takes_it_back(disconnected_well, officer, staff, admin_user):
    well = disconnected_well
    act(well, Action.SEAL, officer, {**SEALING, "attachments": [attach(well, officer).pk]})
    act(well, Action.ACCEPT, staff, {"accepted_on": "2023-06-14", "inspectors": "李四"})
    well.refresh_from_db()
    assert well.accepted_on == datetime.date(2023, 6, 14)
    assert well.events.latest("pk").changes["accepted_on"] == [None, "2023-06-14"]

    act(well, Action.REVERT, admin_user, {"reason": "验收录错"})
    well.refresh_from_db()
    assert (well.status, well.accepted_on) == (Status.SEALED, None)


def test_a_well_closed_again_keeps_the_date_of_its_last_acceptance(
    disconnected_well, officer, staff, admin_user, clock
):
    well = disconnected_well
    act(well, Action.SEAL, officer, {**SEALING, "attachments": [attach(well, officer).pk]})
    act(well, Action.ACCEPT, staff, {"accepted_on": "2023-06-14", "inspectors": "李四"})
    act(well, Action.REACTIVATE, officer, {"reason": "回头看发现复用", "deadline": "2023-12-31"})
    well.refresh_from_db()
    assert (well.status, well.accepted_on) == (Status.REACTIVATED, datetime.date(2023, 6, 14))
    clock.move_to(datetime.datetime(2023, 7, 1, 10, 0, tzinfo=SHANGHAI))
    act(well, Action.NOTIFY, officer, {"notice_no": "N2", "served_on": "2023-06-20", "comply_by": "2023-06-25"})
    act(well, Action.DISCONNECT, officer, {"disconnected_on": "2023-06-26"})
    act(well, Action.SEAL, officer, {**SEALING, "attachments": [attach(well, officer).pk]})
    act(well, Action.ACCEPT, staff, {"accepted_on": "2023-06-30", "inspectors": "王五"})
    well.refresh_from_db()
    assert well.accepted_on == datetime.date(2023, 6, 30)

    act(well, Action.REVERT, admin_user, {"reason": "验收录错"})
    well.refresh_from_db()
    assert (well.status, well.accepted_on) == (Status.SEALED, datetime.date(2023, 6, 14))


def test_revert_undoes_the_newest_action_after_an_earlier_revert(notified_well, admin_user, officer):
    act(notified_well, Action.REVERT, admin_user, {"reason": "录错"})
    act(
        notified_well, Action.NOTIFY, officer, {"notice_no": "N2", "served_on": "2023-06-12", "comply_by": "2023-07-12"}
    )

    act(notified_well, Action.REVERT, admin_user, {"reason": "又录错"})

    well = Well.objects.get(pk=notified_well.pk)
    assert (well.status, well.comply_by) == (Status.INVENTORIED, None)
    assert_refused(well, Action.REVERT, actor=admin_user, data={"reason": "无可撤"}, code="refused")


def test_revert_goes_by_the_order_of_the_events_not_the_clock(notified_well, admin_user, staff, clock):
    clock.move_to(datetime.datetime(2023, 6, 12, 9, 0, tzinfo=SHANGHAI))
    act(notified_well, Action.ESCALATE, staff, {"reason": "逾期"})
    # A server whose clock runs behind records the next event "earlier".
    clock.move_to(datetime.datetime(2023, 6, 1, 9, 0, tzinfo=SHANGHAI))

    act(notified_well, Action.REVERT, admin_user, {"reason": "录错"})

    well = Well.objects.get(pk=notified_well.pk)
    assert (well.status, well.enforced) == (Status.NOTIFIED, False)


def test_revert_of_a_seal_leaves_the_photo_on_the_well_for_the_next_seal(disconnected_well, officer, admin_user):
    photo = attach(disconnected_well, officer)
    act(disconnected_well, Action.SEAL, officer, {**SEALING, "attachments": [photo.pk]})

    act(disconnected_well, Action.REVERT, admin_user, {"reason": "封填不合格"})
    act(disconnected_well, Action.SEAL, officer, {**SEALING, "attachments": [photo.pk]})

    last_seal = disconnected_well.events.filter(action=Action.SEAL).order_by("-pk").first()
    assert Attachment.objects.get(pk=photo.pk).event == last_seal
    assert Well.objects.get(pk=disconnected_well.pk).status == Status.SEALED


def test_effective_events_leave_out_the_reverts_and_what_they_undid(notified_well, admin_user, staff, officer):
    notify = notified_well.events.get()
    act(notified_well, Action.ESCALATE, staff, {"reason": "逾期"})
    act(notified_well, Action.REVERT, admin_user, {"reason": "录错"})
    act(notified_well, Action.DISCONNECT, officer, {"disconnected_on": "2023-06-14"})
    disconnect = notified_well.events.order_by("-pk").first()

    assert effective_events(notified_well) == [notify, disconnect]

    act(notified_well, Action.REVERT, admin_user, {"reason": "录错"})
    act(notified_well, Action.REVERT, admin_user, {"reason": "录错"})

    assert effective_events(notified_well) == []
    assert Well.objects.get(pk=notified_well.pk).status == Status.INVENTORIED


def test_revert_falls_back_on_the_events_from_status_when_it_recorded_no_changes(zhongshan, campaign, admin_user):
    # Events loaded from elsewhere (an earlier ledger) may carry no changes.
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED)
    WellEvent.objects.create(
        well=well, action=Action.SEAL, from_status=Status.DISCONNECTED, to_status=Status.SEALED, actor_name="旧台账"
    )

    act(well, Action.REVERT, admin_user, {"reason": "补录有误"})

    assert Well.objects.get(pk=well.pk).status == Status.DISCONNECTED


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-06-15", datetime.date(2023, 6, 15)),
        (" 2023-06-01 ", datetime.date(2023, 6, 1)),
        (datetime.date(2023, 6, 15), datetime.date(2023, 6, 15)),
        # 17:00 UTC on the 14th is already the 15th in Shanghai.
        (datetime.datetime(2023, 6, 14, 17, 0, tzinfo=datetime.UTC), datetime.date(2023, 6, 15)),
    ],
    ids=_case_id,
)
def test_read_past_date_reads_a_date_up_to_today_in_shanghai(value, expected):
    assert read_past_date({"connected_on": value}, "connected_on", "connection date") == expected


@pytest.mark.parametrize("value", ["2023-06-16", datetime.date(2023, 6, 16), "", None, "2023-6-1"], ids=_case_id)
def test_read_past_date_refuses_naming_the_field(value):
    with pytest.raises(WorkflowError) as excinfo:
        read_past_date({"connected_on": value}, "connected_on", "connection date")

    assert (excinfo.value.code, excinfo.value.field) == (WorkflowError.REFUSED, "connected_on")
    assert "connection date" in str(excinfo.value)


# Extensions --------------------------------------------------------------------


@pytest.fixture
def extensions(monkeypatch):
    """A fresh set of hooks (wells.changes) for one test; the installed
    apps' own hooks return when it ends."""
    for name in changes._HOOKS:
        monkeypatch.setitem(changes._HOOKS, name, [])
    return changes


def test_an_extension_check_refuses_an_action_and_nothing_is_written(extensions, well, officer, notice):
    def no_notice_in_winter(well, action, actor, data):
        if action == Action.NOTIFY:
            raise WorkflowError("冬季不得送达关停通知。", field="served_on")

    extensions.connect(check=no_notice_in_winter)

    error = assert_refused(well, Action.NOTIFY, actor=officer, data=notice, code=WorkflowError.REFUSED)

    assert error.field == "served_on"


def test_an_extension_follows_every_successful_action_in_the_same_transaction(extensions, well, officer, notice):
    seen = []

    def record(well, event):
        seen.append((well.status, well.version, event.action, event.pk))
        well.__class__.objects.filter(pk=well.pk).update(note="已同步")

    extensions.connect(on_action=record)
    extensions.connect(on_action=record)

    act(well, Action.NOTIFY, officer, notice)
    assert_refused(well, Action.NOTIFY, actor=officer, data=notice, code=WorkflowError.REFUSED)

    event = well.events.get()
    assert seen == [(Status.NOTIFIED, 2, Action.NOTIFY, event.pk)]
    assert Well.objects.get(pk=well.pk).note == "已同步"


def test_a_failing_follow_up_undoes_the_action(extensions, well, officer, notice):
    def broken(well, event):
        raise WorkflowError("任务同步失败。")

    extensions.connect(on_action=broken)

    assert_refused(well, Action.NOTIFY, actor=officer, data=notice, code=WorkflowError.REFUSED)


def test_an_extension_check_runs_only_after_the_role_and_scope_checks(extensions, well, other_officer, leader, notice):
    calls = []
    extensions.connect(check=lambda well, action, actor, data: calls.append(action))

    assert_refused(well, Action.NOTIFY, actor=other_officer, data=notice, code=WorkflowError.NOT_FOUND)
    assert_refused(well, Action.NOTIFY, actor=leader, data=notice, code=WorkflowError.FORBIDDEN)

    assert calls == []


# Events ----------------------------------------------------------------------


def test_the_event_keeps_the_actors_name_after_the_user_is_deleted(well, officer, notice):
    officer.display_name = "王专干"
    officer.save()
    act(well, Action.NOTIFY, officer, notice)

    officer.delete()

    event = WellEvent.objects.get(well=well)
    assert (event.actor, event.actor_name) == (None, "王专干")


def test_perform_returns_the_updated_well_and_leaves_the_callers_copy_alone(well, officer, notice):
    returned = perform(well, Action.NOTIFY, actor=officer, data=notice, version=well.version)

    assert (returned.status, returned.version) == (Status.NOTIFIED, 2)
    assert (well.status, well.version) == (Status.INVENTORIED, 1)


# Whole lifecycles ------------------------------------------------------------


def test_a_licensed_domestic_well_walks_from_the_ledger_to_acceptance_and_back(
    zhongshan, campaign, officer, staff, clock
):
    well = WellFactory(
        township=zhongshan,
        campaign=campaign,
        uses=[Use.DOMESTIC, Use.IRRIGATION],
        license_no=LICENCE_NO,
        category=Category.LICENSED,
    )

    act(well, Action.NOTIFY, officer, {"notice_no": "N1", "served_on": "2023-06-01", "comply_by": "2023-06-10"})
    assert_refused(well, Action.DISCONNECT, actor=officer, data={"disconnected_on": "2023-06-05"}, code="refused")
    act(well, Action.REVOKE_LICENSE, staff, {"revocation_no": "R1", "revoked_on": "2023-06-05"})
    assert_refused(well, Action.DISCONNECT, actor=officer, data={"disconnected_on": "2023-06-06"}, code="refused")
    # The water company connects the replacement supply (先通水后关停).
    Well.objects.filter(pk=well.pk).update(supply_connected_on=datetime.date(2023, 6, 6))
    act(well, Action.DISCONNECT, officer, {"disconnected_on": "2023-06-07"})
    assert_refused(well, Action.SEAL, actor=officer, data=SEALING, code="refused")
    photo = attach(well, officer)
    act(well, Action.SEAL, officer, {**SEALING, "attachments": [photo.pk]})
    act(well, Action.ACCEPT, staff, {"accepted_on": "2023-06-14", "inspectors": "李四、王五"})
    clock.move_to(datetime.datetime(2023, 9, 1, 10, 0, tzinfo=SHANGHAI))
    inspection = inspect(well, InspectionResult.IN_USE, officer)
    act(
        well,
        Action.REACTIVATE,
        officer,
        {"reason": "回头看发现复用", "inspection": inspection.pk, "deadline": "2023-12-31"},
    )
    act(well, Action.NOTIFY, officer, {"notice_no": "N2", "served_on": "2023-09-01", "comply_by": "2023-09-15"})

    well.refresh_from_db()
    assert (well.status, well.version, well.comply_by) == (Status.NOTIFIED, 8, datetime.date(2023, 9, 15))
    assert list(well.events.order_by("pk").values_list("action", "from_status", "to_status", "actor_name")) == [
        (Action.NOTIFY, Status.INVENTORIED, Status.NOTIFIED, str(officer)),
        (Action.REVOKE_LICENSE, Status.NOTIFIED, Status.LICENSE_REVOKED, str(staff)),
        (Action.DISCONNECT, Status.LICENSE_REVOKED, Status.DISCONNECTED, str(officer)),
        (Action.SEAL, Status.DISCONNECTED, Status.SEALED, str(officer)),
        (Action.ACCEPT, Status.SEALED, Status.ACCEPTED, str(staff)),
        (Action.REACTIVATE, Status.ACCEPTED, Status.REACTIVATED, str(officer)),
        (Action.NOTIFY, Status.REACTIVATED, Status.NOTIFIED, str(officer)),
    ]


def test_an_unlicensed_well_is_disconnected_straight_after_the_notice(well, officer, staff, notice):
    act(well, Action.NOTIFY, officer, notice)
    act(well, Action.DISCONNECT, officer, {"disconnected_on": "2023-06-08"})
    photo = attach(well, officer)
    act(well, Action.SEAL, officer, {**SEALING, "attachments": [photo.pk]})
    act(well, Action.ACCEPT, staff, {"accepted_on": "2023-06-14", "inspectors": "李四"})

    well.refresh_from_db()
    assert (well.status, well.version) == (Status.ACCEPTED, 5)
    assert list(well.events.order_by("pk").values_list("action", flat=True)) == [
        Action.NOTIFY,
        Action.DISCONNECT,
        Action.SEAL,
        Action.ACCEPT,
    ]


# available_actions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.BUREAU_ADMIN, [Action.NOTIFY, Action.RETAIN]),
        (Role.BUREAU_STAFF, [Action.NOTIFY, Action.RETAIN]),
        (Role.TOWNSHIP_OFFICER, [Action.NOTIFY]),
        (Role.UNIT_MEMBER, []),
        (Role.LEADER, []),
    ],
    ids=_case_id,
)
def test_available_actions_on_a_fresh_well_by_role(request, well, role, expected):
    assert available_actions(well, request.getfixturevalue(PERSONAS[role])) == expected


def test_available_actions_are_none_on_another_townships_well(well, other_officer):
    assert available_actions(well, other_officer) == []


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.BUREAU_ADMIN, [Action.DISCONNECT, Action.REVERT]),
        (Role.BUREAU_STAFF, [Action.DISCONNECT]),
        (Role.TOWNSHIP_OFFICER, [Action.DISCONNECT]),
        (Role.LEADER, []),
    ],
    ids=_case_id,
)
def test_available_actions_on_a_notified_unlicensed_well_before_its_comply_by_date(
    request, notified_well, clock, role, expected
):
    clock.move_to(datetime.datetime(2023, 6, 10, 18, 0, tzinfo=SHANGHAI))
    assert available_actions(notified_well, request.getfixturevalue(PERSONAS[role])) == expected


def test_available_actions_offer_escalate_once_the_comply_by_date_has_passed_and_only_once(notified_well, staff, clock):
    clock.move_to(datetime.datetime(2023, 6, 11, 9, 0, tzinfo=SHANGHAI))
    assert available_actions(notified_well, staff) == [Action.DISCONNECT, Action.ESCALATE]

    escalated = act(notified_well, Action.ESCALATE, staff, {"reason": "逾期"})

    assert available_actions(escalated, staff) == [Action.DISCONNECT]


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (Role.BUREAU_ADMIN, [Action.REVOKE_LICENSE]),
        (Role.BUREAU_STAFF, [Action.REVOKE_LICENSE]),
        (Role.TOWNSHIP_OFFICER, []),
    ],
    ids=_case_id,
)
def test_available_actions_on_a_notified_licensed_well(request, zhongshan, campaign, role, expected):
    well = WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED, license_no=LICENCE_NO)

    assert available_actions(well, request.getfixturevalue(PERSONAS[role])) == expected


@pytest.mark.parametrize(
    ("status", "officer_may", "staff_may"),
    [
        (Status.LICENSE_REVOKED, [Action.DISCONNECT], [Action.DISCONNECT]),
        (Status.DISCONNECTED, [Action.SEAL], [Action.SEAL]),
        (Status.SEALED, [], [Action.ACCEPT]),
        (Status.ACCEPTED, [Action.REACTIVATE], [Action.REACTIVATE]),
        (Status.RETAINED, [], [Action.RELEASE]),
        (Status.REACTIVATED, [Action.NOTIFY], [Action.NOTIFY]),
    ],
    ids=_case_id,
)
def test_available_actions_in_each_later_state(zhongshan, campaign, officer, staff, status, officer_may, staff_may):
    well = WellFactory(township=zhongshan, campaign=campaign, status=status, license_no=LICENCE_NO)

    assert available_actions(well, officer) == officer_may
    assert available_actions(well, staff) == staff_may


def test_available_actions_drop_revert_once_everything_is_undone(notified_well, admin_user):
    reverted = act(notified_well, Action.REVERT, admin_user, {"reason": "录错"})

    assert Action.REVERT not in available_actions(reverted, admin_user)


@pytest.mark.parametrize("role", list(Role), ids=_case_id)
def test_every_available_action_passes_the_role_and_scope_checks(request, ready_well, role):
    """available_actions offers exactly the actions perform then accepts,
    from every state on a well ready for the action."""
    actor = request.getfixturevalue(PERSONAS[role])
    offered, accepted = set(), set()
    for action in Action:
        for status in Status:
            case = ready_well(action, status)
            if action in available_actions(case.well, actor):
                offered.add((action, status))
            try:
                perform(case.well, action, actor=actor, data=case.data, version=case.well.version)
            except WorkflowError:
                continue
            accepted.add((action, status))

    assert offered == accepted
