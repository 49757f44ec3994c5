"""The pages for the people: signing in to each role's home, an officer's
wells and a well's page with its actions, the bureau's ledger, the leaders'
dashboard, the printed label and a member unit's tasks. Every page starts
from the one scope method, and none issues a query per row.

The clock stands at 2023-06-15 10:00 in Shanghai. Pages are asked for in
English so the assertions read the English source messages, except where
the language itself is tested."""

import datetime
import re

import pytest
import segno
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from tasks.choices import Step, TaskStatus
from tasks.models import Task
from tests.api.helpers import png_bytes
from tests.factories import UserFactory, WellFactory
from wells.choices import Action, AttachmentKind, InspectionResult, Status, Use
from wells.models import Attachment, Inspection, Well, WellEvent
from wells.uploads import store_attachment
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def photo(name="sealed.png"):
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def html(response):
    return response.content.decode()


def codes_in(response, testid):
    return re.findall(rf'data-testid="{testid}"[^>]*data-code="([^"]+)"', html(response))


def well_url(well, name="well", *args):
    return reverse(f"wells:{name}", args=[well.code, *args])


@pytest.fixture
def notified_well(well, staff, notice):
    return perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)


@pytest.fixture
def disconnected_well(notified_well, staff):
    return perform(
        notified_well,
        Action.DISCONNECT,
        actor=staff,
        data={"disconnected_on": "2023-06-10"},
        version=notified_well.version,
    )


# Signing in, out, and each role's home ----------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.url == reverse("accounts:login") + "?next=/"


@pytest.mark.parametrize(
    ("persona", "home"),
    [
        ("officer", "wells:mine"),
        ("staff", "wells:ledger"),
        ("admin_user", "wells:ledger"),
        ("leader", "wells:dashboard"),
        ("member", "tasks:mine"),
    ],
)
def test_each_role_lands_on_its_home_page_after_logging_in(client, request, persona, home):
    user = request.getfixturevalue(persona)
    response = client.post(
        reverse("accounts:login"), {"username": user.username, "password": "test-pass-2022"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse(home)
    assert response.status_code == 200


def test_login_with_a_wrong_password_is_refused_with_a_message(client, officer):
    response = client.post(reverse("accounts:login"), {"username": officer.username, "password": "wrong"})
    assert response.status_code == 200
    assert 'data-testid="refusal"' in html(response)
    assert "_auth_user_id" not in client.session


def test_a_user_without_a_role_is_told_why_there_is_nothing_to_see(client, db):
    client.force_login(UserFactory(username="nobody"))
    response = client.get("/")
    assert response.status_code == 403
    assert 'data-testid="no-role"' in html(response)


def test_logging_out_ends_the_session(client, officer):
    client.force_login(officer)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert client.get(reverse("wells:mine")).status_code == 302


def test_a_user_changes_their_password(client, officer):
    client.force_login(officer)
    response = client.post(
        reverse("accounts:password-change"),
        {"old_password": "test-pass-2022", "new_password1": "井电双控-2023-新", "new_password2": "井电双控-2023-新"},
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:password-change-done")
    officer.refresh_from_db()
    assert officer.check_password("井电双控-2023-新")


# Language -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page", ["wells:mine", "wells:ledger", "wells:dashboard", "tasks:mine", "well", "action", "inspection", "label"]
)
def test_every_page_is_in_chinese_by_default_and_in_english_after_switching(officer, well, page):
    urls = {
        "well": well_url(well),
        "action": well_url(well, "action", "notify"),
        "inspection": well_url(well, "inspection"),
        "label": well_url(well, "label"),
    }
    url = urls.get(page) or reverse(page)
    browser = Client()  # no Accept-Language header: the site's default
    browser.force_login(officer)
    assert '<html lang="zh-hans">' in html(browser.get(url))

    switched = browser.post(reverse("set_language"), {"language": "en", "next": url})
    assert switched.status_code == 302
    assert '<html lang="en">' in html(browser.get(url))


def test_login_page_is_in_chinese_by_default():
    assert '<html lang="zh-hans">' in html(Client().get(reverse("accounts:login")))


# An officer's wells ---------------------------------------------------------------


def test_officer_sees_only_their_units_wells_the_overdue_and_due_soon_first(client, officer, zhongshan, other_well):
    later = WellFactory(township=zhongshan, code="ZS-LATER", deadline=datetime.date(2023, 12, 31))
    accepted = WellFactory(
        township=zhongshan, code="ZS-DONE", deadline=datetime.date(2023, 5, 1), status=Status.ACCEPTED
    )
    soon = WellFactory(township=zhongshan, code="ZS-SOON", deadline=datetime.date(2023, 6, 20))
    late = WellFactory(township=zhongshan, code="ZS-LATE", deadline=datetime.date(2023, 6, 1))
    client.force_login(officer)

    response = client.get(reverse("wells:mine"))

    assert codes_in(response, "well-card") == [late.code, soon.code, later.code, accepted.code]
    assert other_well.code not in html(response)
    page = html(response)
    assert "14 days overdue" in page
    assert "5 days left" in page
    assert 'data-testid="count-overdue">1<' in page


# A well's page --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "args"), [("well", ()), ("action", ("notify",)), ("inspection", ()), ("upload", ()), ("label", ())]
)
def test_officer_gets_404_for_another_townships_well(client, officer, other_well, name, args):
    client.force_login(officer)
    assert client.get(well_url(other_well, name, *args)).status_code == 404


def test_well_page_offers_a_button_for_each_action_the_officer_may_take_now(client, officer, notified_well):
    client.force_login(officer)
    page = html(client.get(well_url(notified_well)))
    buttons = re.findall(r'data-testid="action-([a-z_]+)"', page)
    assert buttons == [Action.DISCONNECT]
    assert 'data-testid="record-inspection"' in page
    assert 'data-testid="upload-evidence"' in page


def test_leader_sees_no_write_button_on_a_well_and_may_not_post_one(client, leader, notified_well):
    client.force_login(leader)
    page = html(client.get(well_url(notified_well)))
    assert 'data-testid="action-' not in page
    assert 'data-testid="record-inspection"' not in page
    assert 'data-testid="upload-evidence"' not in page

    response = client.post(
        well_url(notified_well, "action", "disconnect"), {"disconnected_on": "2023-06-10", "version": "2"}
    )
    assert response.status_code == 403
    assert client.get(well_url(notified_well, "inspection")).status_code == 403
    assert client.get(well_url(notified_well, "upload")).status_code == 403
    notified_well.refresh_from_db()
    assert notified_well.status == Status.NOTIFIED


def test_timeline_shows_events_inspections_and_attachments_with_scoped_links(
    client, officer, disconnected_well, notice
):
    evidence = store_attachment(
        well=disconnected_well, kind=AttachmentKind.NOTICE, upload=photo("notice.png"), uploaded_by=officer
    )
    Inspection.objects.create(
        well=disconnected_well,
        inspected_on=datetime.date(2023, 6, 12),
        result=InspectionResult.INTACT,
        inspector=officer,
        inspector_name="巡查员",
        note="井口完好",
    )
    client.force_login(officer)

    page = html(client.get(well_url(disconnected_well)))

    assert re.findall(r'data-testid="timeline-event" data-action="([a-z_]+)"', page) == ["disconnect", "notify"]
    assert 'data-testid="timeline-inspection"' in page
    assert "井口完好" in page
    assert reverse("wells:attachment-download", args=[evidence.pk]) in page
    assert notice["notice_no"] in page


# Actions from the well's page -----------------------------------------------------


def test_officer_serves_a_notice_from_the_well_page(client, officer, well, notice):
    client.force_login(officer)

    response = client.post(well_url(well, "action", "notify"), {**notice, "version": well.version})

    assert response.status_code == 302
    assert response.url == well_url(well)
    well.refresh_from_db()
    assert well.status == Status.NOTIFIED
    event = WellEvent.objects.get(well=well)
    assert (event.action, event.actor, event.data["notice_no"]) == (Action.NOTIFY, officer, notice["notice_no"])


def test_refused_notice_shows_the_reason_beside_the_form_and_keeps_what_was_typed(client, officer, well, notice):
    client.force_login(officer)

    response = client.post(
        well_url(well, "action", "notify"), {**notice, "comply_by": "2023-05-01", "version": well.version}
    )

    assert response.status_code == 400
    page = html(response)
    assert 'data-testid="refusal"' in page
    assert "The comply-by date cannot be before the date served." in page
    assert f'value="{notice["notice_no"]}"' in page
    assert 'value="2023-05-01"' in page
    assert not WellEvent.objects.filter(well=well).exists()


def test_action_form_offers_camera_or_gallery_for_photos_and_a_date_picker_for_dates(
    client, officer, disconnected_well
):
    client.force_login(officer)
    page = html(client.get(well_url(disconnected_well, "action", "seal")))
    photo_input = re.search(r'<input type="file" name="photos"[^>]*>', page).group(0)
    assert 'accept="image/*"' in photo_input
    assert "capture" not in photo_input  # capture would force the camera: no photo from the gallery
    assert re.search(r'<input type="date" name="sealed_on"', page)
    assert 'name="method"' in page


def test_seal_is_refused_without_a_photo_and_the_refusal_shows_at_the_photo_input(client, officer, disconnected_well):
    client.force_login(officer)

    response = client.post(
        well_url(disconnected_well, "action", "seal"),
        {"sealed_on": "2023-06-14", "method": "黏土回填", "version": disconnected_well.version},
    )

    assert response.status_code == 400
    page = html(response)
    assert "Attach at least one photo of the sealed well (a JPEG or PNG image)." in page
    assert re.search(r"field-photos has-error", page)
    assert 'value="黏土回填"' in page
    disconnected_well.refresh_from_db()
    assert disconnected_well.status == Status.DISCONNECTED


def test_seal_with_a_photo_is_recorded_with_the_photo(client, officer, disconnected_well, attachments_in_tmp):
    client.force_login(officer)

    response = client.post(
        well_url(disconnected_well, "action", "seal"),
        {"sealed_on": "2023-06-14", "method": "黏土回填", "version": disconnected_well.version, "photos": photo()},
    )

    assert response.status_code == 302
    disconnected_well.refresh_from_db()
    assert disconnected_well.status == Status.SEALED
    event = WellEvent.objects.get(well=disconnected_well, action=Action.SEAL)
    attachment = Attachment.objects.get(well=disconnected_well)
    assert (attachment.event, attachment.kind, attachment.uploaded_by) == (event, AttachmentKind.PHOTO, officer)
    assert len(stored_files(attachments_in_tmp)) == 3  # the photo and its two thumbnails


def test_a_refused_seal_keeps_neither_the_photo_row_nor_its_file(
    client, officer, disconnected_well, attachments_in_tmp
):
    client.force_login(officer)

    response = client.post(
        well_url(disconnected_well, "action", "seal"),
        {"sealed_on": "2023-07-01", "method": "黏土回填", "version": disconnected_well.version, "photos": photo()},
    )

    assert response.status_code == 400
    assert "cannot be in the future" in html(response)
    assert not Attachment.objects.exists()
    assert stored_files(attachments_in_tmp) == []


def test_a_stale_form_is_refused_and_shows_the_well_as_it_is_now(client, officer, staff, well, notice):
    client.force_login(officer)
    read_version = well.version
    perform(well, Action.NOTIFY, actor=staff, data=notice, version=read_version)

    response = client.post(well_url(well, "action", "notify"), {**notice, "version": read_version})

    assert response.status_code == 400
    page = html(response)
    assert "changed by someone else" in page
    assert f'name="version" value="{read_version + 1}"' in page
    assert 'data-status="notified"' in page
    assert WellEvent.objects.filter(well=well).count() == 1


def test_a_member_unit_without_the_task_is_told_so_beside_the_form(client, member, grid_unit, notified_well):
    # The grid company sees the well through its seal task, but holds no
    # task to cut the power.
    Task.objects.create(well=notified_well, unit=grid_unit, step=Step.SEAL, due_on=datetime.date(2023, 7, 1))
    client.force_login(member)

    response = client.post(
        well_url(notified_well, "action", "disconnect"),
        {"disconnected_on": "2023-06-10", "version": notified_well.version},
    )

    assert response.status_code == 403
    assert "Your unit holds no open task" in html(response)
    assert 'value="2023-06-10"' in html(response)
    notified_well.refresh_from_db()
    assert notified_well.status == Status.NOTIFIED


def test_an_action_not_possible_now_sends_back_to_the_well_with_a_message(client, officer, well):
    client.force_login(officer)
    response = client.get(well_url(well, "action", "seal"), follow=True)
    assert response.redirect_chain == [(well_url(well), 302)]
    assert "is not possible for this well now" in html(response)


def test_an_unknown_action_is_404(client, officer, well):
    client.force_login(officer)
    assert client.get(well_url(well, "action", "demolish")).status_code == 404


# Inspections and evidence ---------------------------------------------------------


def test_officer_records_an_inspection_with_photos(client, officer, well, attachments_in_tmp):
    client.force_login(officer)

    response = client.post(
        well_url(well, "inspection"),
        {
            "inspected_on": "2023-06-15",
            "result": InspectionResult.INTACT,
            "note": "封口完好",
            "photos": photo(),
            "version": well.version,
        },
    )

    assert response.status_code == 302
    inspection = Inspection.objects.get(well=well)
    assert (inspection.inspector, inspection.result, inspection.note) == (officer, InspectionResult.INTACT, "封口完好")
    assert list(inspection.attachments.values_list("kind", flat=True)) == [AttachmentKind.PHOTO]
    well.refresh_from_db()
    assert (well.status, well.version) == (Status.INVENTORIED, 2)


def test_an_inspection_that_finds_an_accepted_well_in_use_reactivates_it(client, officer, zhongshan):
    accepted = WellFactory(township=zhongshan, status=Status.ACCEPTED)
    client.force_login(officer)

    response = client.post(
        well_url(accepted, "inspection"),
        {
            "inspected_on": "2023-06-15",
            "result": InspectionResult.IN_USE,
            "note": "发现私自复用",
            "deadline": "2023-12-31",
            "version": accepted.version,
        },
    )

    assert response.status_code == 302
    inspection = Inspection.objects.get(well=accepted)
    accepted.refresh_from_db()
    assert accepted.status == Status.REACTIVATED
    event = WellEvent.objects.get(well=accepted)
    assert (event.action, event.data) == (
        Action.REACTIVATE,
        {"reason": "发现私自复用", "inspection": inspection.pk, "deadline": "2023-12-31"},
    )


def test_an_inspection_dated_in_the_future_is_refused_and_keeps_nothing(client, officer, well, attachments_in_tmp):
    client.force_login(officer)

    response = client.post(
        well_url(well, "inspection"),
        {"inspected_on": "2023-06-16", "result": InspectionResult.INTACT, "photos": photo(), "version": well.version},
    )

    assert response.status_code == 400
    assert "cannot be in the future" in html(response)
    assert not Inspection.objects.exists()
    assert stored_files(attachments_in_tmp) == []


def test_officer_uploads_evidence_and_a_file_that_is_no_image_or_pdf_is_refused(client, officer, well):
    client.force_login(officer)

    refused = client.post(
        well_url(well, "upload"),
        {"kind": AttachmentKind.NOTICE, "file": SimpleUploadedFile("notice.png", b"MZ not an image")},
    )
    assert refused.status_code == 400
    assert "Only JPEG, PNG and PDF files are accepted." in html(refused)
    assert not Attachment.objects.exists()

    response = client.post(well_url(well, "upload"), {"kind": AttachmentKind.NOTICE, "file": photo("notice.png")})
    assert response.status_code == 302
    assert Attachment.objects.get(well=well).kind == AttachmentKind.NOTICE


# The ledger -----------------------------------------------------------------------


@pytest.fixture
def ledger_wells(zhongshan, ningbian, campaign, staff, notice):
    """Wells of two townships in several states."""
    wells = [WellFactory(township=zhongshan, campaign=campaign, code=f"ZS-{i:02d}") for i in range(4)]
    wells += [WellFactory(township=ningbian, campaign=campaign, code=f"NB-{i:02d}") for i in range(3)]
    for well in (wells[0], wells[1], wells[4]):
        perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)
    return wells


def test_ledger_rows_match_the_apis_count_under_the_same_filters(client, staff, ledger_wells):
    client.force_login(staff)
    query = "status=notified&township=zhongshanlu"

    page = client.get(f"{reverse('wells:ledger')}?{query}")
    api = client.get(f"{reverse('api:well-list')}?{query}").json()

    assert sorted(codes_in(page, "ledger-row")) == sorted(row["code"] for row in api["results"]) == ["ZS-00", "ZS-01"]
    assert f'data-testid="ledger-count">{api["count"]}<' in html(page)


def test_ledger_sorts_by_a_column(client, staff, zhongshan, campaign):
    for code, deadline in (("A", "2023-09-01"), ("B", "2023-07-01"), ("C", "2023-08-01")):
        WellFactory(township=zhongshan, campaign=campaign, code=code, deadline=deadline)
    client.force_login(staff)

    assert codes_in(client.get(reverse("wells:ledger") + "?ordering=deadline"), "ledger-row") == ["B", "C", "A"]
    assert codes_in(client.get(reverse("wells:ledger") + "?ordering=-deadline"), "ledger-row") == ["A", "C", "B"]


def test_ledger_pages_through_the_wells(client, staff, zhongshan, campaign):
    WellFactory.create_batch(55, township=zhongshan, campaign=campaign)
    client.force_login(staff)
    assert len(codes_in(client.get(reverse("wells:ledger")), "ledger-row")) == 50
    assert len(codes_in(client.get(reverse("wells:ledger") + "?page=2"), "ledger-row")) == 5


def test_ledger_with_an_invalid_filter_says_so_and_lists_nothing(client, staff, ledger_wells):
    client.force_login(staff)
    page = html(client.get(reverse("wells:ledger") + "?status=demolished"))
    assert 'data-testid="filter-errors"' in page
    assert 'data-testid="ledger-empty"' in page


def test_ledger_export_link_keeps_the_current_filters(client, staff, ledger_wells):
    client.force_login(staff)
    page = html(client.get(reverse("wells:ledger") + "?status=notified&township=zhongshanlu&page=1"))
    assert 'href="/api/v1/exports/wells.xlsx?status=notified&amp;township=zhongshanlu"' in page
    export = client.get("/api/v1/exports/wells.xlsx?status=notified&township=zhongshanlu")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.spreadsheetml")


def test_ledger_of_an_officer_holds_only_the_wells_of_their_unit(client, officer, ledger_wells):
    client.force_login(officer)
    assert sorted(codes_in(client.get(reverse("wells:ledger")), "ledger-row")) == ["ZS-00", "ZS-01", "ZS-02", "ZS-03"]


def test_leader_ledger_offers_no_bulk_action_and_refuses_one(client, leader, ledger_wells, notice):
    client.force_login(leader)
    page = html(client.get(reverse("wells:ledger")))
    assert 'name="wells"' not in page
    assert 'data-testid="bulk-notify"' not in page
    response = client.post(reverse("wells:bulk-notify"), {"wells": ["ZS-02"], "apply": "yes", **notice})
    assert response.status_code == 403
    assert Well.objects.get(code="ZS-02").status == Status.INVENTORIED


def test_bulk_notice_asks_for_the_notice_then_serves_it_on_every_selected_well(client, staff, ledger_wells, notice):
    client.force_login(staff)
    chosen = ["ZS-02", "ZS-03", "NB-01"]

    asked = client.post(reverse("wells:bulk-notify"), {"wells": chosen, "filters": "township=zhongshanlu"})
    assert asked.status_code == 200
    assert all(code in html(asked) for code in chosen)

    response = client.post(
        reverse("wells:bulk-notify"), {"wells": chosen, "filters": "township=zhongshanlu", "apply": "yes", **notice}
    )
    assert response.status_code == 302
    assert response.url == reverse("wells:ledger") + "?township=zhongshanlu"
    assert set(Well.objects.filter(code__in=chosen).values_list("status", flat=True)) == {Status.NOTIFIED}
    ledger = html(client.get(response.url))
    assert 'href="/api/v1/wells/notices.docx?code=NB-01%2CZS-02%2CZS-03"' in ledger
    assert WellEvent.objects.filter(well__code__in=chosen, action=Action.NOTIFY).count() == 3


def test_bulk_notice_serves_the_wells_that_can_take_it_and_lists_the_others_with_why(
    client, staff, ledger_wells, notice
):
    client.force_login(staff)
    chosen = ["ZS-00", "ZS-02"]  # ZS-00 is already notified

    asked = html(client.post(reverse("wells:bulk-notify"), {"wells": chosen}))
    assert re.search(r'data-testid="skipped-wells"><li data-code="ZS-00">', asked)
    assert re.search(r'data-testid="selected-wells">\s*<li>ZS-02 ', asked)
    response = client.post(reverse("wells:bulk-notify"), {"wells": chosen, "apply": "yes", **notice})

    assert response.status_code == 200
    page = html(response)
    assert re.search(r'data-testid="skipped-wells"><li data-code="ZS-00">.*Not possible while the well is', page)
    assert Well.objects.get(code="ZS-02").status == Status.NOTIFIED
    assert WellEvent.objects.filter(well__code="ZS-02", action=Action.NOTIFY).count() == 1
    assert WellEvent.objects.filter(well__code="ZS-00", action=Action.NOTIFY).count() == 1  # its own, from before


def test_bulk_notice_reaches_only_wells_in_the_officers_scope(client, officer, ledger_wells, notice):
    client.force_login(officer)

    response = client.post(reverse("wells:bulk-notify"), {"wells": ["ZS-02", "NB-01"], "apply": "yes", **notice})

    assert response.status_code == 302
    assert Well.objects.get(code="ZS-02").status == Status.NOTIFIED
    assert Well.objects.get(code="NB-01").status == Status.INVENTORIED


# The dashboard --------------------------------------------------------------------


def figure(page, name):
    return re.search(rf'data-testid="figure-{name}" data-value="([^"]*)"', page).group(1)


def accept(well, *, staff, admin_user, accepted_on, notice):
    """Walk a well to accepted through the workflow."""
    well = perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)
    well = perform(well, Action.DISCONNECT, actor=staff, data={"disconnected_on": "2023-06-02"}, version=well.version)
    picture = store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=photo(), uploaded_by=staff)
    seal = {"sealed_on": "2023-06-03", "method": "回填", "attachments": [picture.pk]}
    well = perform(well, Action.SEAL, actor=staff, data=seal, version=well.version)
    acceptance = {"accepted_on": accepted_on, "inspectors": "王工"}
    return perform(well, Action.ACCEPT, actor=admin_user, data=acceptance, version=well.version)


@pytest.fixture
def campaign_wells(zhongshan, ningbian, campaign, staff, admin_user, notice):
    late = datetime.date(2023, 5, 31)
    wells = {
        "accepted_a": WellFactory(township=zhongshan, campaign=campaign, deadline=late),
        "accepted_b": WellFactory(township=ningbian, campaign=campaign, deadline=datetime.date(2023, 6, 30)),
        "sealed": WellFactory(township=zhongshan, campaign=campaign, deadline=late, status=Status.SEALED),
        "overdue_old": WellFactory(township=ningbian, campaign=campaign, deadline=datetime.date(2023, 3, 1)),
        "overdue_new": WellFactory(township=zhongshan, campaign=campaign, deadline=late),
        "later": WellFactory(township=zhongshan, campaign=campaign, deadline=datetime.date(2023, 11, 30)),
        "retained": WellFactory(
            township=ningbian, campaign=campaign, status=Status.RETAINED, uses=[Use.EMERGENCY], deadline=None
        ),
    }
    accept(wells["accepted_a"], staff=staff, admin_user=admin_user, accepted_on="2023-06-05", notice=notice)
    accept(wells["accepted_b"], staff=staff, admin_user=admin_user, accepted_on="2023-06-12", notice=notice)
    return wells


def test_dashboard_figures_equal_the_api_summary(client, leader, campaign, campaign_wells):
    client.force_login(leader)

    page = html(client.get(reverse("wells:dashboard")))
    summary = client.get(reverse("api:stats-summary") + f"?campaign={campaign.pk}").json()

    totals = summary["totals"]
    assert (totals["total"], totals["accepted"], totals["overdue"]) == (7, 2, 3)
    for name in ("total", "to_close", "accepted", "sealed", "overdue", "retained"):
        assert int(figure(page, name)) == totals[name], name
    assert float(figure(page, "completion_rate")) == totals["completion_rate"]
    rows = re.findall(
        r'data-testid="unit-row" data-unit="(\d+)".*?data-field="accepted">(\d+)<.*?data-field="to_close">(\d+)<'
        r'.*?data-value="([^"]*)".*?data-field="overdue">(\d+)<',
        page,
        re.S,
    )
    assert sorted((int(u), int(a), int(t), float(r) if r else None, int(o)) for u, a, t, r, o in rows) == sorted(
        (u["unit"], u["accepted"], u["to_close"], u["completion_rate"], u["overdue"]) for u in summary["units"]
    )


def test_dashboard_ranks_the_overdue_wells_oldest_deadline_first(client, leader, campaign_wells):
    client.force_login(leader)
    page = html(client.get(reverse("wells:dashboard")))
    ranked = re.findall(r'<li data-code="([^"]+)"><a href', page)
    assert ranked == [campaign_wells[name].code for name in ("overdue_old", "sealed", "overdue_new")]


def test_dashboard_trend_counts_planned_by_deadline_and_actual_by_acceptance_date(client, leader, campaign_wells):
    client.force_login(leader)
    progress = client.get(reverse("wells:dashboard")).context["chart_data"]["progress"]
    assert progress["actual"] == [["2022-03-14", 0], ["2023-06-05", 1], ["2023-06-12", 2]]
    assert progress["planned"] == [
        ["2022-03-14", 0],
        ["2023-03-01", 1],
        ["2023-05-31", 4],
        ["2023-06-30", 5],
        ["2023-11-30", 6],
    ]
    assert progress["deadline"] == "2023-11-30"


def test_dashboard_map_and_funnel_hold_only_the_wells_in_scope(client, officer, campaign_wells):
    client.force_login(officer)
    data = client.get(reverse("wells:dashboard")).context["chart_data"]
    expected = {campaign_wells[name].code for name in ("accepted_a", "sealed", "overdue_new", "later")}
    assert {point["code"] for point in data["points"]} == expected
    assert [stage["count"] for stage in data["funnel"]] == [4, 2, 2, 2, 1]


def test_dashboard_map_groups_the_wells_by_township_beyond_the_point_limit(
    client, leader, campaign, zhongshan, ningbian, campaign_wells, settings
):
    settings.MAP_POINT_LIMIT = 3
    WellFactory(township=zhongshan, campaign=campaign, lat="44.030000", lng="87.320000")
    WellFactory(township=ningbian, campaign=campaign, lat=None, lng=None)
    client.force_login(leader)

    response = client.get(reverse("wells:dashboard"))

    data = response.context["chart_data"]
    assert data["points"] == []
    areas = {area["name"]: area for area in data["areas"]}
    assert set(areas) == {zhongshan.name, ningbian.name}
    # zhongshan: the four wells of the fixture at 44.01/87.30 and one at 44.03/87.32.
    assert areas[zhongshan.name]["wells"] == 5
    assert areas[zhongshan.name]["total"] == 5
    assert areas[zhongshan.name]["lat"] == pytest.approx(44.014)
    assert areas[zhongshan.name]["lng"] == pytest.approx(87.304)
    assert (areas[zhongshan.name]["accepted"], areas[zhongshan.name]["to_close"]) == (1, 5)
    # ningbian: three wells with a position, one without; the retained one is not to close.
    assert (areas[ningbian.name]["wells"], areas[ningbian.name]["total"]) == (3, 4)
    assert areas[ningbian.name]["rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert areas[ningbian.name]["url"] == f"{reverse('wells:ledger')}?campaign={campaign.pk}&township={ningbian.code}"
    assert response.context["mapped"] == 8
    assert "shown by township" in html(response)


def test_dashboard_over_a_search_counts_the_wells_as_the_tally_would(client, leader, campaign, campaign_wells):
    client.force_login(leader)
    everything = client.get(reverse("wells:dashboard")).context
    searched = client.get(reverse("wells:dashboard") + "?q=TEST").context  # every factory code starts so

    assert searched["totals"] == everything["totals"]
    assert searched["units"] == everything["units"]
    assert searched["chart_data"]["progress"] == everything["chart_data"]["progress"]


def test_dashboard_shows_a_leader_no_write_button(client, leader, campaign_wells):
    client.force_login(leader)
    page = html(client.get(reverse("wells:dashboard")))
    # The only forms that post: the language switch and logging out.
    assert page.count('method="post"') == 2
    assert reverse("wells:bulk-notify") not in page


# The label ------------------------------------------------------------------------


def test_label_qr_code_encodes_the_address_of_the_wells_public_page(client, officer, well):
    client.force_login(officer)
    page = html(client.get(well_url(well, "label")))
    # Anyone who scans it may see the well's code and public state, and report (supervision).
    address = f"http://testserver{reverse('supervision:public-well', args=[well.code])}"
    assert segno.make(address, error="m").svg_inline(omitsize=True, title=well.code) in page
    assert f'data-url="{address}"' in page


# A member unit's tasks -------------------------------------------------------------


def test_member_sees_the_open_tasks_of_their_unit_with_due_dates(client, member, grid_unit, zhongshan_unit, well):
    mine = Task.objects.create(well=well, unit=grid_unit, step=Step.DISCONNECT, due_on=datetime.date(2023, 6, 10))
    Task.objects.create(well=well, unit=zhongshan_unit, step=Step.NOTIFY, due_on=datetime.date(2023, 6, 1))
    Task.objects.create(well=well, unit=grid_unit, step=Step.SEAL, status=TaskStatus.DONE)
    client.force_login(member)

    # The well has no notice yet: the power cut waits, and says for what.
    assert 'data-testid="task"' not in html(client.get(reverse("tasks:mine")))
    page = html(client.get(reverse("tasks:mine") + "?waiting=1"))

    assert re.findall(r'data-testid="task" data-well="([^"]+)" data-step="([a-z_]+)"', page) == [
        (mine.well.code, Step.DISCONNECT)
    ]
    assert "2023-06-10" in page
    assert "5 days overdue" in page
    assert "Waiting for 中山路街道办事处「Serve the closure notice」" in page


# No query per row -------------------------------------------------------------------


@pytest.fixture
def many_wells(request, zhongshan, campaign, staff, notice):
    """``n`` wells of 中山路, a third of them with a notice served."""
    wells = WellFactory.create_batch(request.param, township=zhongshan, campaign=campaign)
    for well in wells[::3]:
        perform(well, Action.NOTIFY, actor=staff, data=notice, version=well.version)
    return wells


@pytest.mark.parametrize("many_wells", [5, 50], indirect=True)
def test_my_wells_page_issues_the_same_queries_for_5_and_50_wells(
    client, officer, many_wells, django_assert_max_num_queries
):
    client.force_login(officer)
    # session, user, groups (role), count, page of wells, summary counts,
    # unread notifications (menu)
    with django_assert_max_num_queries(7):
        response = client.get(reverse("wells:mine"))
    assert len(codes_in(response, "well-card")) == len(many_wells)


@pytest.mark.parametrize("many_wells", [5, 50], indirect=True)
def test_ledger_issues_the_same_queries_for_5_and_50_wells(client, staff, many_wells, django_assert_max_num_queries):
    client.force_login(staff)
    # session, user, groups (role), the township filter's lookup, count, page
    # of wells, the wells of the page that can take the notice and the power
    # cut, the choices of campaign, township and unit, unread notifications
    # (menu)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("wells:ledger") + "?township=zhongshanlu&ordering=-deadline")
    assert len(codes_in(response, "ledger-row")) == len(many_wells)


@pytest.mark.parametrize("count", [5, 50])
def test_well_page_issues_the_same_queries_for_5_and_50_records(
    client, officer, disconnected_well, count, django_assert_max_num_queries
):
    for day in range(count):
        store_attachment(well=disconnected_well, kind=AttachmentKind.PHOTO, upload=photo(), uploaded_by=officer)
        Inspection.objects.create(
            well=disconnected_well,
            inspected_on=datetime.date(2023, 5, 1) + datetime.timedelta(days=day),
            result=InspectionResult.INTACT,
            inspector=officer,
            inspector_name="巡查员",
        )
    client.force_login(officer)
    # session, user, groups (role), well, events, inspections, attachments,
    # the scope check of the actions, permissions (user's, groups'), unread
    # notifications (menu), the well's history records, its work plan (its
    # tasks), the patrols that passed it and its tickets (supervision), the
    # meter panel (its coefficient: the well's own and the uses' defaults,
    # the readings of the year, the closure events, the open alerts); on
    # PostgreSQL the field-history backstop too (its rows with their context)
    with django_assert_max_num_queries(21 if connection.vendor == "postgresql" else 20):
        response = client.get(well_url(disconnected_well))
    assert html(response).count('data-testid="attachment"') == count


@pytest.mark.parametrize("many_wells", [5, 50], indirect=True)
def test_dashboard_issues_the_same_queries_for_5_and_50_wells(
    client, leader, many_wells, django_assert_max_num_queries
):
    client.force_login(leader)
    # session, user, groups (role), campaigns, the campaign filter's lookup,
    # totals, per unit, unit deadlines, per status, overdue list, map points,
    # planned by deadline, actual by acceptance date, the user's bureau's
    # division, the drill-down by division, unread notifications, the meter
    # panel's count of closed wells drawing electricity
    with django_assert_max_num_queries(17):
        response = client.get(reverse("wells:dashboard"))
    assert len(response.context["chart_data"]["points"]) == len(many_wells)
