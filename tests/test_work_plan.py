"""Every role finishes its own steps from the pages: the water company
records the replacement supply, the grid cuts the power, the investment
company seals, the bureau accepts. A page offers only what its user can do
now, and a step that waits says for what and whom."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db.models import F

from accounts.models import User
from tasks import views
from tasks.choices import Step, TaskStatus
from tasks.models import Task
from tests.browser.conftest import png_bytes
from wells.choices import Action, ChangeKind, Status
from wells.models import Well, WellChange
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

WELL = "CJ-ZSL-01"  # domestic, unlicensed, of 中山路街道: notice, supply, power cut, seal, acceptance


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    return {user.username: user for user in User.objects.all()}


@pytest.fixture
def client_of(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def page_of(response):
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def notify(well, actor):
    return perform(
        well,
        Action.NOTIFY,
        actor=actor,
        data={"notice_no": "中山路关停〔2023〕1号", "served_on": "2023-06-01", "comply_by": "2023-06-30"},
        version=well.version,
    )


def photo():
    return SimpleUploadedFile("通水.png", png_bytes(), content_type="image/png")


def test_the_power_cut_waits_for_the_water_company_and_says_so(demo, client_of):
    notify(Well.objects.get(code=WELL), demo["zhongshan"])

    page = page_of(client_of(demo["grid"]).get(f"/well/{WELL}/"))

    assert 'data-testid="action-disconnect"' not in page
    assert "等待市清源水务有限责任公司「接通替代水源」" in page
    waiting = page_of(client_of(demo["grid"]).get("/tasks/mine/?waiting=1"))
    assert f'data-well="{WELL}" data-step="disconnect"' in waiting
    assert "等待市清源水务有限责任公司「接通替代水源」" in waiting
    # Going to the action's address directly says the same instead of a form.
    response = client_of(demo["grid"]).get(f"/well/{WELL}/action/disconnect/", follow=True)
    assert "等待市清源水务有限责任公司「接通替代水源」" in response.content.decode()
    assert 'data-testid="action-form"' not in response.content.decode()


def test_the_water_company_records_the_supply_from_its_task_with_a_photo(demo, client_of):
    well = notify(Well.objects.get(code=WELL), demo["zhongshan"])
    water = client_of(demo["water"])
    tasks = page_of(water.get("/tasks/mine/"))
    task = Task.objects.get(well=well, step=Step.SUPPLY)
    assert f'href="/tasks/{task.pk}/supply/"' in tasks

    form = page_of(water.get(f"/tasks/{task.pk}/supply/"))
    assert re.search(r'<input type="file" name="photos"[^>]*accept="image/\*"', form)
    response = water.post(
        f"/tasks/{task.pk}/supply/",
        {"version": well.version, "supply_connected_on": "2023-06-10", "photos": [photo()], "note": "管网已接入"},
    )

    assert response.status_code == 302
    well.refresh_from_db()
    assert str(well.supply_connected_on) == "2023-06-10"
    task.refresh_from_db()
    assert (task.status, task.completed_by.username, task.evidence.count()) == (TaskStatus.DONE, "water", 1)
    record = WellChange.objects.get(well=well, kind=ChangeKind.SUPPLY)
    assert record.changes["supply_connected_on"] == [None, "2023-06-10"]
    # Now the grid can cut the power from its page.
    assert 'data-testid="action-disconnect"' in page_of(client_of(demo["grid"]).get(f"/well/{WELL}/"))


def test_a_supply_without_evidence_is_refused_on_the_form_and_changes_nothing(demo, client_of):
    well = notify(Well.objects.get(code=WELL), demo["zhongshan"])
    task = Task.objects.get(well=well, step=Step.SUPPLY)

    response = client_of(demo["water"]).post(
        f"/tasks/{task.pk}/supply/", {"version": well.version, "supply_connected_on": "2023-06-10"}
    )

    assert response.status_code == 400
    assert 'data-testid="refusal"' in response.content.decode()
    assert Well.objects.get(pk=well.pk).supply_connected_on is None
    assert Task.objects.get(pk=task.pk).status == TaskStatus.OPEN


def test_another_unit_may_not_record_the_supply(demo, client_of):
    well = notify(Well.objects.get(code=WELL), demo["zhongshan"])
    task = Task.objects.get(well=well, step=Step.SUPPLY)
    # The township sees its well's tasks but completes only its own; a
    # member unit does not see another unit's task at all.
    assert client_of(demo["zhongshan"]).get(f"/tasks/{task.pk}/supply/").status_code == 403
    assert client_of(demo["grid"]).get(f"/tasks/{task.pk}/supply/").status_code == 404
    assert client_of(demo["ningbian"]).get(f"/tasks/{task.pk}/supply/").status_code == 404


def test_after_the_power_cut_the_grid_sees_no_seal_button_and_the_investment_company_does(demo, client_of):
    well = notify(Well.objects.get(code=WELL), demo["zhongshan"])
    task = Task.objects.get(well=well, step=Step.SUPPLY)
    client_of(demo["water"]).post(
        f"/tasks/{task.pk}/supply/", {"version": well.version, "supply_connected_on": "2023-06-10", "photos": [photo()]}
    )
    well.refresh_from_db()
    response = client_of(demo["grid"]).post(
        f"/well/{WELL}/action/disconnect/", {"version": well.version, "disconnected_on": "2023-06-12"}
    )
    assert response.status_code == 302
    assert Well.objects.get(pk=well.pk).status == Status.DISCONNECTED

    grid_page = page_of(client_of(demo["grid"]).get(f"/well/{WELL}/"))
    assert 'data-testid="action-seal"' not in grid_page
    investco_page = page_of(client_of(demo["investco"]).get(f"/well/{WELL}/"))
    assert 'data-testid="action-seal"' in investco_page
    assert 'data-testid="action-disconnect"' not in investco_page


def test_the_well_page_shows_the_work_plan_with_unit_due_date_state_and_who_did_it(demo, client_of):
    notify(Well.objects.get(code=WELL), demo["zhongshan"])

    page = page_of(client_of(demo["staff"]).get(f"/well/{WELL}/"))

    steps = re.findall(r'data-testid="plan-step" data-step="(\w+)" data-status="(\w+)"', page)
    assert steps == [
        ("notify", "done"),
        ("supply", "open"),
        ("disconnect", "open"),
        ("seal", "open"),
        ("accept", "open"),
    ]
    plan = page[page.index('data-testid="work-plan"') :]
    for unit in ["中山路街道办事处", "市清源水务有限责任公司", "国网昌吉供电公司客户服务中心"]:
        assert unit in plan
    assert "市经济发展投资有限责任公司" in plan
    assert "2023-09-01" in plan  # the supply falls due 90 days before the 2023-11-30 deadline
    assert "中山路" in plan and "2023-06-15" in plan  # who served the notice, and when


def test_an_officers_task_list_holds_only_its_own_units_tasks(demo, client_of):
    page = page_of(client_of(demo["zhongshan"]).get("/tasks/mine/"))
    wells = set(re.findall(r'data-testid="task" data-well="([\w-]+)" data-step="(\w+)"', page))
    own = Well.objects.filter(responsible_unit__name="中山路街道办事处").values_list("code", flat=True)
    assert wells == {(code, "notify") for code in own}


def test_staff_see_their_own_units_tasks_first_then_others_on_their_behalf(demo, client_of):
    well = notify(Well.objects.get(code="CJ-ZSL-09"), demo["staff"])  # licensed: the bureau revokes the licence
    page = page_of(client_of(demo["staff"]).get("/tasks/mine/"))
    rows = re.findall(r'data-well="([\w-]+)" data-step="(\w+)" data-own="(\w+)"', page)
    flags = [flag for _code, _step, flag in rows]
    assert flags == sorted(flags, reverse=True)  # every "true" before any "false"
    assert (well.code, "revoke_license", "true") in rows
    assert ("CJ-ZSL-01", "notify", "false") in rows  # 中山路's notice, which the bureau may serve on its behalf


def test_the_task_list_pages_own_tasks_then_others_by_due_date_and_counts_up_to_its_cap(demo, client_of, monkeypatch):
    """Page by page, the unit's own tasks then the others', each by due date
    and in full; the tabs count up to the pages' reach and say "+" past it."""
    staff = demo["staff"]
    notify(Well.objects.get(code="CJ-ZSL-09"), staff)  # the bureau's own: a licence to revoke
    monkeypatch.setattr(views, "PAGE_SIZE", 4)
    client = client_of(staff)
    ready = Task.objects.actionable_by(staff)
    expected = [
        (task.well.code, task.step)
        for part in (ready.filter(unit=staff.unit), ready.exclude(unit=staff.unit))
        for task in part.select_related("well").order_by(F("due_on").asc(nulls_last=True), "pk")
    ]
    assert len(expected) > 8

    listed = []
    for number in (1, 2, 3):
        page = page_of(client.get(f"/tasks/mine/?page={number}"))
        listed += re.findall(r'data-testid="task" data-well="([\w-]+)" data-step="(\w+)"', page)
    assert listed == expected[:12]
    first = page_of(client.get("/tasks/mine/"))
    assert f'data-testid="tab-ready">现在可办 <span class="count">{len(expected)}</span>' in first

    monkeypatch.setattr(views, "MY_TASKS_CAP", 8)
    page = page_of(client.get("/tasks/mine/?page=9"))
    assert '<span class="count">8+</span>' in page
    assert 'data-testid="pages-truncated"' in page
    assert re.findall(r'data-testid="task" data-well="([\w-]+)" data-step="(\w+)"', page) == expected[4:8]


def test_the_task_list_runs_a_fixed_number_of_queries(demo, client_of, django_assert_max_num_queries):
    client = client_of(demo["staff"])
    # session, user, groups; the page's two parts (the unit's own tasks, the
    # others'), each counted and sliced with their wells and units; the other
    # tab's count; the tasks the user may complete and the wells' open
    # tasks; the menu's unread count.
    with django_assert_max_num_queries(11):
        client.get("/tasks/mine/")
    with django_assert_max_num_queries(11):
        client.get("/tasks/mine/?waiting=1")


# An officer edits the facts of their own wells ------------------------------------


def test_an_officer_edits_the_responsible_person_location_and_note_and_the_history_shows_it(demo, client_of):
    well = Well.objects.get(code=WELL)
    client = client_of(demo["zhongshan"])
    form = page_of(client.get(f"/well/{WELL}/facts/"))
    for name in ("responsible_person", "lat", "lng", "note"):
        assert f'name="{name}"' in form
    for name in ("deadline", "responsible_unit", "meter_no"):
        assert f'name="{name}"' not in form  # facts the bureau keeps
    assert 'data-testid="map-picker"' in form

    response = client.post(
        f"/well/{WELL}/facts/",
        {
            "version": well.version,
            "responsible_person": "张专干",
            "lat": "44.012345",
            "lng": "87.301234",
            "note": "井房已拆",
        },
    )

    assert response.status_code == 302
    well.refresh_from_db()
    assert (well.responsible_person, str(well.lat), str(well.lng), well.note) == (
        "张专干",
        "44.012345",
        "87.301234",
        "井房已拆",
    )
    record = WellChange.objects.filter(well=well, kind=ChangeKind.FACTS).get()
    assert record.changes["responsible_person"][1] == "张专干"
    assert record.actor_name == str(demo["zhongshan"])
    assert "张专干" in page_of(client.get(f"/well/{WELL}/"))


def test_a_stale_facts_form_is_refused_and_keeps_what_was_typed(demo, client_of):
    well = Well.objects.get(code=WELL)
    client = client_of(demo["zhongshan"])
    response = client.post(
        f"/well/{WELL}/facts/",
        {"version": well.version - 1, "responsible_person": "张专干", "lat": well.lat, "lng": well.lng, "note": ""},
    )
    assert response.status_code == 400
    assert 'value="张专干"' in response.content.decode()
    assert Well.objects.get(pk=well.pk).responsible_person == well.responsible_person


def test_a_location_outside_china_is_refused_on_its_field(demo, client_of):
    well = Well.objects.get(code=WELL)
    response = client_of(demo["zhongshan"]).post(
        f"/well/{WELL}/facts/", {"version": well.version, "lat": "10", "lng": "87.3", "responsible_person": ""}
    )
    assert response.status_code == 400
    assert 'data-field="lat"' in response.content.decode()
    assert Well.objects.get(pk=well.pk).lat == well.lat


def test_facts_of_another_townships_well_are_not_found_and_members_may_not_edit(demo, client_of):
    assert client_of(demo["ningbian"]).get(f"/well/{WELL}/facts/").status_code == 404
    notify(Well.objects.get(code=WELL), demo["zhongshan"])
    assert client_of(demo["water"]).get(f"/well/{WELL}/facts/").status_code == 403
    assert 'data-testid="edit-facts"' not in page_of(client_of(demo["water"]).get(f"/well/{WELL}/"))


def test_the_well_page_links_to_the_phones_map_app(demo, client_of):
    well = Well.objects.get(code=WELL)
    page = page_of(client_of(demo["zhongshan"]).get(f"/well/{WELL}/"))
    assert f'href="geo:{well.lat},{well.lng}?q={well.lat},{well.lng}({WELL})"' in page


# 我的机井 and 我的任务 searched through the ledger's FilterSet ------------------------


def test_an_officers_wells_are_searched_by_code_owner_or_village_and_filtered_by_status(demo, client_of):
    notify(Well.objects.get(code=WELL), demo["zhongshan"])
    client = client_of(demo["zhongshan"])

    def codes(query):
        return re.findall(r'data-testid="well-card" data-code="([\w-]+)"', page_of(client.get("/wells/mine/" + query)))

    assert codes("?q=ZSL-01") == [WELL]
    assert codes("?status=notified") == [WELL]
    village = Well.objects.get(code="CJ-ZSL-05").village
    assert "CJ-ZSL-05" in codes(f"?q={village}")
    assert codes("?q=NBL") == []  # another township's wells stay out of scope
    assert 'data-testid="no-wells"' in page_of(client.get("/wells/mine/?q=NBL"))


def test_tasks_are_searched_through_the_wells_they_belong_to(demo, client_of):
    client = client_of(demo["zhongshan"])
    page = page_of(client.get("/tasks/mine/?q=ZSL-05"))
    assert re.findall(r'data-testid="task" data-well="([\w-]+)"', page) == ["CJ-ZSL-05"]
    assert client.get("/tasks/mine/?status=not-a-status").status_code == 200
    assert 'data-testid="task"' not in page_of(client.get("/tasks/mine/?status=not-a-status"))
