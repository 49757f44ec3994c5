"""The admin as the bureau's working tool: each role sees its scope, facts
are edited within each role's rights, the lifecycle moves only through the
action pages (which call wells.workflow.perform), and evidence is uploaded
and downloaded through scope-checked views.

The clock stands at 2023-06-15 10:00 in Shanghai, and pages are asked for
in English so the assertions read the English source messages."""

import datetime
import struct
import zlib
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.choices import Role
from accounts.models import User
from tests.factories import UserFactory, WellFactory
from wells.choices import Action, AttachmentKind, Category, Status, Use
from wells.models import Attachment, Well, WellEvent
from wells.uploads import store_attachment
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

SHANGHAI = ZoneInfo("Asia/Shanghai")
LICENCE_NO = "取水(昌)字[2015]第0012号"


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def png_bytes():
    """A real 1×1 PNG image, built by hand so the tests need no imaging library."""

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def photo(name="sealed.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def admin_url(name, *args):
    return reverse(f"admin:wells_well_{name}", args=args)


def action_url(well, action):
    return admin_url("action", well.pk, action)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def visible_codes(response):
    return {well.code for well in response.context["cl"].result_list}


def change_form_data(client, well):
    """What the browser would post back from the well's change page,
    unchanged: the form's editable fields and the inlines' management forms."""
    page = client.get(admin_url("change", well.pk))
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None:
            value = ""
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        data[name] = value
    for inline in page.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, field in formset.management_form.fields.items():
            data[f"{formset.prefix}-{name}"] = formset.management_form[name].value() or field.initial or 0
        for subform in formset.initial_forms:
            data[subform.add_prefix("id")] = subform.instance.pk
            data[subform.add_prefix(formset.fk.name)] = well.pk
    return data


@pytest.fixture
def disconnected_well(zhongshan, campaign):
    """A 中山路 well whose power is cut: ready to be sealed."""
    return WellFactory(township=zhongshan, campaign=campaign, status=Status.DISCONNECTED)


@pytest.fixture
def superuser(bureau):
    return UserFactory(username="root", unit=bureau, is_superuser=True)


# Scope --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("admin_user", {"well", "other_well"}),
        ("staff", {"well", "other_well"}),
        ("leader", {"well", "other_well"}),
        ("officer", {"well"}),
        ("other_officer", {"other_well"}),
        ("member", set()),
    ],
)
def test_each_role_sees_exactly_its_scope_in_the_well_list(client, request, well, other_well, persona, sees):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(admin_url("changelist"))

    assert response.status_code == 200
    assert visible_codes(response) == {request.getfixturevalue(name).code for name in sees}


def test_officer_gets_404_for_another_townships_well(client, officer, other_well, notice):
    client.force_login(officer)

    assert client.get(admin_url("change", other_well.pk)).status_code == 404
    assert client.get(admin_url("history", other_well.pk)).status_code == 404
    assert client.get(action_url(other_well, Action.NOTIFY)).status_code == 404
    assert client.post(action_url(other_well, Action.NOTIFY), {**notice, "version": 1}).status_code == 404
    assert client.get(admin_url("upload", other_well.pk)).status_code == 404
    assert Well.objects.get(pk=other_well.pk).status == Status.INVENTORIED


def test_a_well_that_does_not_exist_answers_404_not_a_redirect(client, staff):
    client.force_login(staff)

    assert client.get(admin_url("change", 999999)).status_code == 404
    assert client.get(admin_url("change", "not-a-number")).status_code == 404


def test_officer_sees_only_own_wells_events_and_attachments(client, officer, well, other_well, staff, notice):
    perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)
    perform(other_well, Action.NOTIFY, actor=staff, data=notice, version=other_well.version)
    own = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=photo(), uploaded_by=staff)
    theirs = store_attachment(well=other_well, kind=AttachmentKind.PHOTO, upload=photo(), uploaded_by=staff)
    client.force_login(officer)

    events = client.get(reverse("admin:wells_wellevent_changelist"))
    attachments = client.get(reverse("admin:wells_attachment_changelist"))

    assert {event.well_id for event in events.context["cl"].result_list} == {well.pk}
    assert {attachment.pk for attachment in attachments.context["cl"].result_list} == {own.pk}
    assert client.get(reverse("admin:wells_attachment_change", args=[theirs.pk])).status_code == 404
    other_event = other_well.events.get()
    assert client.get(reverse("admin:wells_wellevent_change", args=[other_event.pk])).status_code == 404


# Who may edit what ---------------------------------------------------------


def test_leader_can_view_the_well_page_but_not_change_it_and_sees_no_action_buttons(client, leader, well, notice):
    client.force_login(leader)

    page = client.get(admin_url("change", well.pk))

    assert page.status_code == 200
    assert page.context["lifecycle_actions"] == []
    assert "lifecycle-action" not in page.content.decode()
    assert "upload_form" not in page.context
    assert client.post(admin_url("change", well.pk), {"owner_name": "改名"}).status_code == 403
    assert client.get(action_url(well, Action.NOTIFY)).status_code == 403
    assert client.post(action_url(well, Action.NOTIFY), {**notice, "version": well.version}).status_code == 403
    assert Well.objects.get(pk=well.pk).owner_name == well.owner_name
    assert not WellEvent.objects.exists()


def test_officer_sees_the_actions_open_to_them_as_buttons(client, officer, well):
    client.force_login(officer)

    page = client.get(admin_url("change", well.pk))

    assert [action for action, _url in page.context["lifecycle_actions"]] == [Action.NOTIFY]
    assert f'href="{action_url(well, Action.NOTIFY)}"' in page.content.decode()


def test_officer_may_change_only_the_field_facts_of_own_well(client, officer, well):
    client.force_login(officer)
    data = change_form_data(client, well)

    assert set(data) & {"owner_name", "code", "responsible_unit", "deadline", "status", "version"} == set()
    assert {"responsible_person", "lat", "lng", "note"} <= set(data)
    # The replacement supply is recorded only through its task.
    assert "supply_connected_on" not in data

    data.update(responsible_person="李四", supply_connected_on="2023-06-01", owner_name="改名", status="accepted")
    response = client.post(admin_url("change", well.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Well.objects.get(pk=well.pk)
    assert saved.responsible_person == "李四"
    assert saved.supply_connected_on is None
    assert saved.owner_name == well.owner_name
    assert saved.status == Status.INVENTORIED
    assert saved.version == well.version + 1


def test_bureau_staff_changes_facts_but_never_the_lifecycle(client, staff, well, notice):
    # With history and evidence, so the read-only inlines are posted back too.
    well = perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)
    store_attachment(well=well, kind=AttachmentKind.NOTICE, upload=photo("notice.png"), uploaded_by=staff)
    client.force_login(staff)
    data = change_form_data(client, well)
    assert data["events-INITIAL_FORMS"] == data["attachments-INITIAL_FORMS"] == 1

    assert {"owner_name", "responsible_unit", "deadline", "uses"} <= set(data)
    assert set(data) & {"status", "version", "enforced", "comply_by", "review_on"} == set()

    data.update(owner_name="新取水户", uses=[Use.DOMESTIC, Use.IRRIGATION], status="accepted", version="9")
    response = client.post(admin_url("change", well.pk), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    saved = Well.objects.get(pk=well.pk)
    assert saved.owner_name == "新取水户"
    assert saved.uses == [Use.DOMESTIC, Use.IRRIGATION]
    # The admin's save is a change like any other: one version up.
    assert (saved.status, saved.version) == (Status.NOTIFIED, 3)
    assert saved.events.count() == saved.attachments.count() == 1


def test_a_fact_edit_read_before_an_action_is_refused_as_stale(client, staff, officer, well, notice):
    client.force_login(staff)
    data = change_form_data(client, well)
    perform(well, Action.NOTIFY, actor=officer, data=notice, version=well.version)

    data["owner_name"] = "新取水户"
    response = client.post(admin_url("change", well.pk), data)

    assert response.status_code == 200
    assert "changed by someone else" in str(response.context["adminform"].form.errors)
    saved = Well.objects.get(pk=well.pk)
    assert (saved.owner_name, saved.status, saved.comply_by, saved.version) == (
        well.owner_name,
        Status.NOTIFIED,
        datetime.date(2023, 6, 30),
        2,
    )


def test_a_bad_location_is_refused_with_a_message_and_nothing_changes(client, officer, well):
    client.force_login(officer)
    data = change_form_data(client, well)
    data.update(lat="87.300000", lng="44.010000")  # swapped

    response = client.post(admin_url("change", well.pk), data)

    assert response.status_code == 200
    assert "lat" in response.context["adminform"].form.errors
    assert Well.objects.get(pk=well.pk).lat == Decimal(well.lat)


def test_bureau_staff_adds_a_well_and_an_officer_cannot(client, staff, officer, zhongshan, zhongshan_unit, campaign):
    client.force_login(officer)
    assert client.get(admin_url("add")).status_code == 403

    client.force_login(staff)
    page = client.get(admin_url("add"))
    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields
    response = client.post(
        admin_url("add"),
        {
            "code": "652301-NEW-001",
            "campaign": campaign.pk,
            "category": Category.UNLICENSED,
            "owner_name": "新户",
            "owner_kind": "person",
            "township": zhongshan.pk,
            "zone": "prohibited",
            "uses": [Use.IRRIGATION],
            "responsible_unit": zhongshan_unit.pk,
            "attachments-TOTAL_FORMS": 0,
            "attachments-INITIAL_FORMS": 0,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
            "status": "accepted",
        },
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    created = Well.objects.get(code="652301-NEW-001")
    assert (created.status, created.version) == (Status.INVENTORIED, 1)


@pytest.mark.parametrize("persona", ["admin_user", "staff", "superuser"])
def test_nobody_can_delete_a_well_in_the_admin(client, request, well, persona):
    client.force_login(request.getfixturevalue(persona))

    assert client.get(admin_url("delete", well.pk)).status_code == 403
    assert client.post(admin_url("delete", well.pk), {"post": "yes"}).status_code == 403
    page = client.get(admin_url("changelist"))
    assert "delete_selected" not in dict(page.context["action_form"].fields["action"].choices)
    assert Well.objects.filter(pk=well.pk).exists()


# The list -----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["staff", "officer"])
@pytest.mark.parametrize("wells", [5, 50])
def test_the_well_list_costs_the_same_queries_for_5_or_50_wells(
    client, request, zhongshan, campaign, persona, wells, django_assert_max_num_queries
):
    WellFactory.create_batch(wells, township=zhongshan, campaign=campaign)
    client.force_login(request.getfixturevalue(persona))

    # 1 the session, 2 the user, 3–4 the user's and their groups' permissions,
    # 5 the user's groups (their role, for the scope), 6 the campaigns and
    # 7 the units the related-only filters offer, 8 the filtered count (no
    # full count), 9 the page of wells with township and unit joined.
    with django_assert_max_num_queries(9):
        response = client.get(admin_url("changelist"))

    assert len(response.context["cl"].result_list) == wells


def test_the_overdue_filter_uses_the_ledgers_definition(client, staff, zhongshan, campaign):
    past = datetime.date(2023, 5, 31)
    late = WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.NOTIFIED)
    WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.ACCEPTED)
    WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.RETAINED)
    on_time = WellFactory(township=zhongshan, campaign=campaign, deadline=datetime.date(2023, 11, 30))
    client.force_login(staff)

    overdue = client.get(admin_url("changelist"), {"overdue": "yes"})
    not_overdue = client.get(admin_url("changelist"), {"overdue": "no"})

    assert visible_codes(overdue) == {late.code}
    assert late.code not in visible_codes(not_overdue)
    assert on_time.code in visible_codes(not_overdue)
    # Words, not a green tick, for an overdue well.
    assert "icon-yes" not in overdue.content.decode()
    assert 'class="overdue-mark"' in overdue.content.decode()


def test_the_list_searches_code_owner_and_village(client, staff, zhongshan, campaign):
    wanted = WellFactory(township=zhongshan, campaign=campaign, owner_name="昌吉市某养殖场", village="三工村")
    WellFactory(township=zhongshan, campaign=campaign, owner_name="别人", village="二村")
    client.force_login(staff)

    for term in [wanted.code, "养殖场", "三工"]:
        assert visible_codes(client.get(admin_url("changelist"), {"q": term})) == {wanted.code}


def test_the_list_filters_by_status_and_responsible_unit(client, staff, well, other_well, notice):
    perform(other_well, Action.NOTIFY, actor=staff, data=notice, version=other_well.version)
    client.force_login(staff)

    by_status = client.get(admin_url("changelist"), {"status__exact": Status.NOTIFIED})
    by_unit = client.get(admin_url("changelist"), {"responsible_unit__id__exact": well.responsible_unit_id})

    assert visible_codes(by_status) == {other_well.code}
    assert visible_codes(by_unit) == {well.code}


# Action pages -------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "action", "fields", "extra"),
    [
        (Status.INVENTORIED, Action.NOTIFY, ["notice_no", "served_on", "comply_by"], {}),
        (Status.NOTIFIED, Action.REVOKE_LICENSE, ["revocation_no", "revoked_on"], {"license_no": LICENCE_NO}),
        (Status.LICENSE_REVOKED, Action.DISCONNECT, ["disconnected_on"], {"license_no": LICENCE_NO}),
        (Status.DISCONNECTED, Action.SEAL, ["sealed_on", "method", "photos", "attachments"], {}),
        (Status.SEALED, Action.ACCEPT, ["accepted_on", "inspectors"], {}),
        (Status.INVENTORIED, Action.RETAIN, ["reason", "review_on"], {}),
        (Status.RETAINED, Action.RELEASE, ["reason"], {}),
        (Status.ACCEPTED, Action.REACTIVATE, ["reason", "deadline", "inspection"], {}),
        (Status.NOTIFIED, Action.ESCALATE, ["reason"], {"comply_by": datetime.date(2023, 6, 1)}),
    ],
)
def test_each_action_page_asks_exactly_for_the_actions_fields(
    client, admin_user, zhongshan, campaign, status, action, fields, extra
):
    well = WellFactory(township=zhongshan, campaign=campaign, status=status, **extra)
    client.force_login(admin_user)

    page = client.get(action_url(well, action))

    assert page.status_code == 200
    form = page.context["form"]
    assert [field.name for field in form.visible_fields()] == [*fields, "note"]
    assert [field.name for field in form.hidden_fields()] == ["version"]
    assert form["version"].value() == well.version


def test_officer_serves_a_closure_notice_through_the_admin(client, officer, well, notice):
    client.force_login(officer)

    response = client.post(action_url(well, Action.NOTIFY), {**notice, "note": "送达本人", "version": well.version})

    assert response.status_code == 302
    assert response.url == admin_url("change", well.pk)
    saved = Well.objects.get(pk=well.pk)
    assert (saved.status, saved.version, saved.comply_by) == (Status.NOTIFIED, 2, datetime.date(2023, 6, 30))
    event = saved.events.get()
    assert (event.action, event.from_status, event.to_status) == (Action.NOTIFY, Status.INVENTORIED, Status.NOTIFIED)
    assert event.actor == officer
    assert event.note == "送达本人"
    assert event.data == {"notice_no": notice["notice_no"], "served_on": "2023-06-01", "comply_by": "2023-06-30"}
    assert messages_of(response) == ["“Serve closure notice” is recorded: the well is now “Closure notice served”."]


def test_a_missing_field_is_shown_on_the_form_and_nothing_typed_is_lost(client, officer, well):
    client.force_login(officer)

    response = client.post(action_url(well, Action.NOTIFY), {"notice_no": "昌水通〔2023〕15号", "version": 1})

    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"served_on", "comply_by"}
    assert 'value="昌水通〔2023〕15号"' in response.content.decode()
    assert not WellEvent.objects.exists()


def test_a_refusal_by_the_workflow_lands_on_the_field_it_names(client, officer, well, notice):
    client.force_login(officer)

    response = client.post(action_url(well, Action.NOTIFY), {**notice, "served_on": "2023-07-01", "version": 1})

    assert response.status_code == 200
    assert response.context["form"].errors["served_on"] == ["The date served cannot be in the future."]
    assert 'value="2023-06-30"' in response.content.decode()
    assert Well.objects.get(pk=well.pk).status == Status.INVENTORIED
    assert not WellEvent.objects.exists()


def test_a_refusal_about_the_well_itself_is_shown_above_the_form(client, officer, zhongshan, campaign):
    domestic = WellFactory(
        township=zhongshan, campaign=campaign, status=Status.NOTIFIED, uses=[Use.DOMESTIC, Use.IRRIGATION]
    )
    client.force_login(officer)

    response = client.post(
        action_url(domestic, Action.DISCONNECT), {"disconnected_on": "2023-06-10", "version": domestic.version}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This well supplies domestic water: record the replacement supply as connected first."
    ]
    assert Well.objects.get(pk=domestic.pk).status == Status.NOTIFIED


def test_seal_with_an_uploaded_photo_is_recorded_with_the_photo(client, officer, disconnected_well, attachments_in_tmp):
    client.force_login(officer)

    response = client.post(
        action_url(disconnected_well, Action.SEAL),
        {"sealed_on": "2023-06-14", "method": "黏土回填 混凝土封口", "photos": [photo()], "version": 1},
    )

    assert response.status_code == 302
    saved = Well.objects.get(pk=disconnected_well.pk)
    assert saved.status == Status.SEALED
    event = saved.events.get()
    attachment = Attachment.objects.get()
    assert (attachment.well, attachment.kind, attachment.event) == (saved, AttachmentKind.PHOTO, event)
    assert attachment.uploaded_by == officer
    assert event.data["attachments"] == [attachment.pk]
    assert (attachments_in_tmp / attachment.file.name).is_file()


def test_seal_may_use_a_photo_uploaded_before(client, officer, disconnected_well):
    earlier = store_attachment(
        well=disconnected_well, kind=AttachmentKind.PHOTO, upload=photo("before.png"), uploaded_by=officer
    )
    client.force_login(officer)

    response = client.post(
        action_url(disconnected_well, Action.SEAL),
        {"sealed_on": "2023-06-14", "method": "回填", "attachments": [earlier.pk], "version": 1},
    )

    assert response.status_code == 302
    earlier.refresh_from_db()
    assert earlier.event == disconnected_well.events.get()


def test_seal_is_refused_without_a_photo_and_nothing_is_written(client, officer, disconnected_well):
    client.force_login(officer)

    response = client.post(
        action_url(disconnected_well, Action.SEAL), {"sealed_on": "2023-06-14", "method": "回填", "version": 1}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["attachments"] == [
        "Attach at least one photo of the sealed well (a JPEG or PNG image)."
    ]
    assert "Attach at least one photo of the sealed well (a JPEG or PNG image)." in response.content.decode()
    assert 'value="回填"' in response.content.decode()
    saved = Well.objects.get(pk=disconnected_well.pk)
    assert (saved.status, saved.version) == (Status.DISCONNECTED, 1)
    assert not WellEvent.objects.exists()
    assert not Attachment.objects.exists()


def test_a_refused_seal_does_not_keep_its_uploaded_photo(client, officer, disconnected_well, attachments_in_tmp):
    client.force_login(officer)

    response = client.post(
        action_url(disconnected_well, Action.SEAL),
        {"sealed_on": "2023-06-20", "method": "回填", "photos": [photo()], "version": 1},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["sealed_on"] == ["The sealing date cannot be in the future."]
    assert not Attachment.objects.exists()
    assert not WellEvent.objects.exists()
    assert Well.objects.get(pk=disconnected_well.pk).status == Status.DISCONNECTED
    stored_files = [p for p in attachments_in_tmp.rglob("*") if p.is_file()]
    assert stored_files == []


def test_a_seal_photo_that_is_not_an_image_is_refused_and_nothing_is_kept(client, officer, disconnected_well):
    client.force_login(officer)
    fake = SimpleUploadedFile("photo.png", b"not really a picture", content_type="image/png")

    response = client.post(
        action_url(disconnected_well, Action.SEAL),
        {"sealed_on": "2023-06-14", "method": "回填", "photos": [photo(), fake], "version": 1},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == ["Only JPEG, PNG and PDF files are accepted."]
    assert not Attachment.objects.exists()
    assert Well.objects.get(pk=disconnected_well.pk).status == Status.DISCONNECTED


def test_a_stale_version_shows_the_conflict_and_keeps_what_was_typed(client, officer, staff, well, notice):
    client.force_login(officer)
    page = client.get(action_url(well, Action.NOTIFY))
    read_version = page.context["form"]["version"].value()
    perform(well, Action.NOTIFY, actor=staff, data={**notice, "notice_no": "先到的通知"}, version=well.version)

    response = client.post(action_url(well, Action.NOTIFY), {**notice, "version": read_version})

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert errors[0] == ("This well was changed by someone else (version 2, you have 1). Reload it and try again.")
    assert 'value="昌水通〔2023〕15号"' in response.content.decode()
    assert response.context["form"]["version"].value() == "2"
    assert response.context["original"].status == Status.NOTIFIED
    assert WellEvent.objects.count() == 1
    assert Well.objects.get(pk=well.pk).events.get().data["notice_no"] == "先到的通知"


def test_a_role_without_the_action_gets_403(client, officer, zhongshan, campaign):
    sealed = WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED)
    client.force_login(officer)

    assert client.get(action_url(sealed, Action.ACCEPT)).status_code == 403
    assert (
        client.post(action_url(sealed, Action.ACCEPT), {"accepted_on": "2023-06-14", "inspectors": "王"}).status_code
        == 403
    )
    assert Well.objects.get(pk=sealed.pk).status == Status.SEALED


def test_an_action_the_state_does_not_allow_redirects_to_the_well_with_a_message(client, staff, well):
    client.force_login(staff)

    response = client.get(action_url(well, Action.SEAL))

    assert response.status_code == 302
    assert response.url == admin_url("change", well.pk)
    assert messages_of(response) == ["“Seal the well” is not possible for this well now (it is “Inventoried”)."]


def test_an_unknown_action_answers_404(client, staff, well):
    client.force_login(staff)

    assert client.get(action_url(well, "demolish")).status_code == 404


# Bulk notice --------------------------------------------------------------


def bulk_post(client, wells, **fields):
    data = {"action": "serve_closure_notice", "_selected_action": [w.pk for w in wells], **fields}
    return client.post(admin_url("changelist"), data)


def test_bulk_notice_asks_for_the_notice_then_serves_it_on_every_selected_well(
    client, staff, zhongshan, campaign, notice
):
    wells = WellFactory.create_batch(3, township=zhongshan, campaign=campaign)
    client.force_login(staff)

    page = bulk_post(client, wells)
    assert page.status_code == 200
    # No number for the batch: each notice takes the campaign's next one.
    assert [field.name for field in page.context["form"].visible_fields()] == ["served_on", "comply_by", "note"]
    assert [w.code for w in page.context["wells"]] == [w.code for w in wells]

    response = bulk_post(client, wells, apply="yes", **notice)

    assert response.status_code == 302
    assert messages_of(response) == ["The closure notice is served on 3 wells."]
    numbers = set()
    for well in Well.objects.filter(pk__in=[w.pk for w in wells]):
        assert (well.status, well.comply_by) == (Status.NOTIFIED, datetime.date(2023, 6, 30))
        event = well.events.get()
        assert (event.action, event.actor) == (Action.NOTIFY, staff)
        numbers.add(event.data["notice_no"])
    assert len(numbers) == 3


def test_bulk_notice_serves_the_wells_that_can_take_it_and_names_the_others(client, staff, zhongshan, campaign, notice):
    fresh = WellFactory.create_batch(2, township=zhongshan, campaign=campaign)
    accepted = WellFactory(township=zhongshan, campaign=campaign, status=Status.ACCEPTED, code="ACCEPTED-1")
    client.force_login(staff)

    response = bulk_post(client, [*fresh, accepted], apply="yes", **notice)

    assert response.status_code == 302
    said = messages_of(response)
    assert said[0] == "The closure notice is served on 2 wells."
    assert said[1].startswith("ACCEPTED-1 was left as it is: ")
    assert WellEvent.objects.filter(action=Action.NOTIFY).count() == 2
    assert Well.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    assert set(Well.objects.filter(pk__in=[w.pk for w in fresh]).values_list("status", flat=True)) == {Status.NOTIFIED}


def test_bulk_notice_with_a_bad_date_asks_again_and_changes_nothing(client, staff, well, notice):
    client.force_login(staff)

    response = bulk_post(client, [well], apply="yes", **{**notice, "served_on": "yesterday"})

    assert response.status_code == 200
    assert "served_on" in response.context["form"].errors
    assert not WellEvent.objects.exists()


def test_bulk_notice_is_not_offered_to_the_leader(client, leader, well, notice):
    client.force_login(leader)

    page = client.get(admin_url("changelist"))
    response = bulk_post(client, [well], apply="yes", **notice)

    assert "serve_closure_notice" not in page.content.decode()
    assert page.context["action_form"] is None
    assert response.status_code == 200  # the plain list: there is no action to take
    assert not WellEvent.objects.exists()


def test_officer_bulk_notice_reaches_only_own_wells(client, officer, well, other_well, notice):
    client.force_login(officer)

    response = bulk_post(client, [well, other_well], apply="yes", **notice)

    assert response.status_code == 302
    assert Well.objects.get(pk=well.pk).status == Status.NOTIFIED
    assert Well.objects.get(pk=other_well.pk).status == Status.INVENTORIED


# Events -------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin_user", "superuser"])
def test_no_one_adds_changes_or_deletes_an_event(client, request, staff, well, persona, notice):
    perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)
    event = WellEvent.objects.get()
    client.force_login(request.getfixturevalue(persona))

    assert client.get(reverse("admin:wells_wellevent_add")).status_code == 403
    assert client.get(reverse("admin:wells_wellevent_change", args=[event.pk])).status_code == 200
    assert client.post(reverse("admin:wells_wellevent_change", args=[event.pk]), {"note": "x"}).status_code == 403
    assert client.post(reverse("admin:wells_wellevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert WellEvent.objects.get().note == ""

    inline = next(
        formset
        for formset in client.get(admin_url("change", well.pk)).context["inline_admin_formsets"]
        if formset.opts.model is WellEvent
    )
    assert (inline.has_add_permission, inline.has_change_permission, inline.has_delete_permission) == (
        False,
        False,
        False,
    )


# Attachments --------------------------------------------------------------


def test_officer_uploads_evidence_from_the_wells_page(client, officer, well):
    client.force_login(officer)
    page = client.get(admin_url("change", well.pk))
    assert page.context["upload_url"] == admin_url("upload", well.pk)

    pdf = SimpleUploadedFile("通知书.pdf", PDF_BYTES, content_type="application/pdf")
    response = client.post(admin_url("upload", well.pk), {"kind": AttachmentKind.NOTICE, "file": pdf})

    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.well_id, attachment.kind, attachment.content_type) == (
        well.pk,
        AttachmentKind.NOTICE,
        "application/pdf",
    )
    listed = client.get(admin_url("change", well.pk)).content.decode()
    assert reverse("wells:attachment-download", args=[attachment.pk]) in listed


def test_an_upload_that_is_not_evidence_is_refused_with_a_message(client, officer, well):
    client.force_login(officer)
    script = SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>", content_type="image/jpeg")

    response = client.post(admin_url("upload", well.pk), {"kind": AttachmentKind.PHOTO, "file": script})

    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Only JPEG, PNG and PDF files are accepted."]
    assert not Attachment.objects.exists()


def test_attachments_are_not_added_or_changed_in_the_attachment_admin(client, staff, well):
    attachment = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=photo(), uploaded_by=staff)
    client.force_login(staff)

    assert client.get(reverse("admin:wells_attachment_add")).status_code == 403
    change = reverse("admin:wells_attachment_change", args=[attachment.pk])
    assert client.post(change, {"kind": AttachmentKind.OTHER}).status_code == 403
    assert Attachment.objects.get().kind == AttachmentKind.PHOTO


def test_download_serves_the_bytes_to_someone_in_scope(client, officer, well):
    attachment = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=photo("井口.png"), uploaded_by=officer)
    client.force_login(officer)

    response = client.get(reverse("wells:attachment-download", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == png_bytes()
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")


def test_download_of_a_pdf_is_an_attachment(client, staff, well):
    pdf = SimpleUploadedFile("验收.pdf", PDF_BYTES, content_type="application/pdf")
    attachment = store_attachment(well=well, kind=AttachmentKind.ACCEPTANCE, upload=pdf, uploaded_by=staff)
    client.force_login(staff)

    response = client.get(reverse("wells:attachment-download", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")


def test_download_answers_404_outside_the_scope(client, other_officer, officer, well):
    attachment = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=photo(), uploaded_by=officer)
    client.force_login(other_officer)

    assert client.get(reverse("wells:attachment-download", args=[attachment.pk])).status_code == 404


def test_download_asks_an_anonymous_visitor_to_sign_in(client, officer, well):
    attachment = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=photo(), uploaded_by=officer)

    response = client.get(reverse("wells:attachment-download", args=[attachment.pk]))

    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


# Inspections --------------------------------------------------------------


def test_officer_records_an_inspection_of_own_well_only(client, officer, well, other_well):
    client.force_login(officer)
    page = client.get(reverse("admin:wells_inspection_add"))
    assert set(page.context["adminform"].form.fields["well"].queryset) == {well}

    refused = client.post(
        reverse("admin:wells_inspection_add"),
        {"well": other_well.pk, "inspected_on": "2023-06-14", "result": "intact"},
    )
    future = client.post(
        reverse("admin:wells_inspection_add"), {"well": well.pk, "inspected_on": "2023-06-16", "result": "intact"}
    )
    done = client.post(
        reverse("admin:wells_inspection_add"), {"well": well.pk, "inspected_on": "2023-06-14", "result": "in_use"}
    )

    assert "well" in refused.context["adminform"].form.errors
    assert "inspected_on" in future.context["adminform"].form.errors
    assert done.status_code == 302
    inspection = well.inspections.get()
    assert (inspection.inspector, inspection.inspector_name) == (officer, str(officer))


# Users and units ----------------------------------------------------------


def test_only_the_bureau_admin_manages_users(client, admin_user, staff, officer, leader):
    for persona in (staff, officer, leader):
        client.force_login(persona)
        assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403

    client.force_login(admin_user)
    response = client.get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 200
    assert {user.username for user in response.context["cl"].result_list} >= {"carol_officer", "frank_leader"}


def test_the_bureau_admin_creates_a_user_with_a_unit_and_one_role(client, admin_user, zhongshan_unit):
    from django.contrib.auth.models import Group

    client.force_login(admin_user)
    data = {
        "username": "zhang_officer",
        "usable_password": "true",
        "password1": "a-long-pass-2023",
        "password2": "a-long-pass-2023",
        "display_name": "张专干",
        "unit": zhongshan_unit.pk,
        "is_staff": "on",
    }

    two_roles = client.post(
        reverse("admin:accounts_user_add"),
        {**data, "groups": [Group.objects.get(name=Role.TOWNSHIP_OFFICER).pk, Group.objects.get(name=Role.LEADER).pk]},
    )
    created = client.post(
        reverse("admin:accounts_user_add"), {**data, "groups": [Group.objects.get(name=Role.TOWNSHIP_OFFICER).pk]}
    )

    assert two_roles.status_code == 200
    assert "groups" in two_roles.context["adminform"].form.errors
    assert created.status_code == 302
    user = User.objects.get(username="zhang_officer")
    assert (user.unit, user.display_name, user.role, user.is_staff) == (
        zhongshan_unit,
        "张专干",
        Role.TOWNSHIP_OFFICER,
        True,
    )


def test_the_bureau_admin_cannot_make_a_superuser_or_edit_one(client, admin_user, superuser, officer):
    client.force_login(admin_user)

    page = client.get(reverse("admin:accounts_user_change", args=[officer.pk]))

    assert "is_superuser" not in page.context["adminform"].form.fields
    assert "user_permissions" not in page.context["adminform"].form.fields
    assert client.post(reverse("admin:accounts_user_change", args=[superuser.pk]), {}).status_code == 403


def test_the_admin_speaks_chinese_by_default_and_english_on_request(client, staff):
    client.force_login(staff)
    client.defaults.pop("HTTP_ACCEPT_LANGUAGE")

    chinese = client.get(reverse("admin:index"))
    switched = client.post(reverse("set_language"), {"language": "en", "next": reverse("admin:index")})
    english = client.get(reverse("admin:index"))

    assert '<html lang="zh-hans"' in chinese.content.decode()
    assert 'name="language" value="en"' in chinese.content.decode()
    assert switched.status_code == 302
    assert '<html lang="en"' in english.content.decode()
    assert 'name="language" value="zh-hans"' in english.content.decode()
