"""Many bureaus on one deployment (DESIGN §9): a bureau's staff and leaders
see the work of their bureau's division and below, and nothing of a
neighbour's (404, not 403); the figures roll up from the townships to the
county, the prefecture and the region, each level the sum of its parts,
after every kind of write.

The divisions are the real codes (accounts/data/divisions_65.csv): 昌吉市
(652301) and 阜康市 (652302) are two counties of 昌吉回族自治州 (6523) in
新疆维吾尔自治区 (65)."""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.choices import Role, UnitKind
from accounts.divisions import XINJIANG, read_divisions
from accounts.models import Division
from supervision.choices import TicketSource
from supervision.models import Ticket
from tasks.choices import Step
from tasks.models import Task
from tests.factories import CampaignFactory, TownshipFactory, UnitFactory, UserFactory, WellFactory
from wells import changes
from wells.choices import Action
from wells.models import Campaign, Township, Well
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

ROWS = {row["path"]: row for row in read_divisions(XINJIANG)}
# Two streets of each county, as the statistical codes name them.
CHANGJI_STREETS = ("652301001", "652301005")  # 宁边路街道, 中山路街道
FUKANG_STREETS = ("652302001", "652302002")


def place(*paths):
    """The divisions of ``paths`` and those above them, from the data file."""
    made = {}
    for path in sorted({p[:n] for p in paths for n in (2, 4, 6, 9) if n <= len(p)}, key=len):
        row = ROWS[path]
        made[path] = Division.objects.create(
            path=path, name=row["name"], level=row["level"], parent=made.get(row["parent"])
        )
    return made


class World:
    """Two county bureaus, the prefecture's and the region's, each with staff
    and a leader; a campaign per county bureau with wells in its streets."""

    def __init__(self):
        self.divisions = place(*CHANGJI_STREETS, *FUKANG_STREETS)
        self.bureaus = {
            name: UnitFactory(name=name, kind=UnitKind.BUREAU, division=self.divisions[path])
            for name, path in [
                ("昌吉市水利局", "652301"),
                ("阜康市水利局", "652302"),
                ("昌吉州水利局", "6523"),
                ("新疆维吾尔自治区水利厅", "65"),
            ]
        }
        self.users = {}
        for short, bureau in [("changji", "昌吉市水利局"), ("fukang", "阜康市水利局")]:
            for role in (Role.BUREAU_ADMIN, Role.BUREAU_STAFF, Role.LEADER):
                self.users[f"{short}_{role}"] = UserFactory(
                    username=f"{short}_{role}", unit=self.bureaus[bureau], role=role
                )
        self.users["prefecture"] = UserFactory(
            username="prefecture", unit=self.bureaus["昌吉州水利局"], role=Role.LEADER
        )
        self.users["region"] = UserFactory(
            username="region", unit=self.bureaus["新疆维吾尔自治区水利厅"], role=Role.LEADER
        )
        self.campaigns = {
            "changji": CampaignFactory(name="昌吉市关停", bureau=self.bureaus["昌吉市水利局"]),
            "fukang": CampaignFactory(name="阜康市关停", bureau=self.bureaus["阜康市水利局"]),
        }
        self.townships = {}
        for path in (*CHANGJI_STREETS, *FUKANG_STREETS):
            government = UnitFactory(name=f"{ROWS[path]['name']}办事处", kind=UnitKind.TOWNSHIP)
            self.townships[path] = TownshipFactory(
                code=f"t{path}", name=ROWS[path]["name"], government=government, division=self.divisions[path]
            )
        self.users["officer"] = UserFactory(
            username="officer", unit=self.townships["652301005"].government, role=Role.TOWNSHIP_OFFICER
        )
        self.wells = {"changji": [], "fukang": []}
        for county, streets, counts in [("changji", CHANGJI_STREETS, (2, 3)), ("fukang", FUKANG_STREETS, (4, 1))]:
            for street, count in zip(streets, counts, strict=True):
                for n in range(count):
                    self.wells[county].append(
                        WellFactory(
                            code=f"{county.upper()}-{street}-{n}",
                            township=self.townships[street],
                            campaign=self.campaigns[county],
                        )
                    )

    def codes(self, county):
        return {well.code for well in self.wells[county]}


@pytest.fixture
def world(db):
    return World()


def api(user):
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def page(user):
    client = Client()
    client.force_login(user)
    return client


# Scope ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "sees"),
    [
        ("changji_bureau_admin", {"changji"}),
        ("changji_bureau_staff", {"changji"}),
        ("changji_leader", {"changji"}),
        ("fukang_bureau_admin", {"fukang"}),
        ("fukang_bureau_staff", {"fukang"}),
        ("fukang_leader", {"fukang"}),
        ("prefecture", {"changji", "fukang"}),
        ("region", {"changji", "fukang"}),
    ],
)
def test_a_bureau_sees_the_wells_of_its_division_and_below(world, username, sees):
    user = world.users[username]
    expected = set().union(*(world.codes(county) for county in sees))
    assert set(Well.objects.visible_to(user).values_list("code", flat=True)) == expected
    listed = api(user).get("/api/v1/wells/").json()["results"]
    assert {row["code"] for row in listed} == expected
    assert set(Campaign.objects.visible_to(user).values_list("name", flat=True)) == {
        world.campaigns[county].name for county in sees
    }


def test_a_superuser_and_an_unplaced_bureau_see_every_bureau(world):
    superuser = UserFactory(username="root", is_superuser=True)
    unplaced = UserFactory(username="unplaced", unit=UnitFactory(name="未划分水利局", kind=UnitKind.BUREAU))
    unplaced.groups.set([])
    everything = world.codes("changji") | world.codes("fukang")
    assert set(Well.objects.visible_to(superuser).values_list("code", flat=True)) == everything
    staff = UserFactory(username="unplaced_staff", unit=unplaced.unit, role=Role.BUREAU_STAFF)
    assert set(Well.objects.visible_to(staff).values_list("code", flat=True)) == everything


def test_an_officer_keeps_the_wells_of_their_own_unit(world):
    officer = world.users["officer"]
    assert set(Well.objects.visible_to(officer).values_list("code", flat=True)) == {
        well.code for well in world.wells["changji"] if well.township.division.path == "652301005"
    }


def test_an_officer_reads_the_campaigns_their_unit_holds_live_wells_in(world):
    officer = world.users["officer"]
    assert list(Campaign.objects.visible_to(officer).values_list("name", flat=True)) == ["昌吉市关停"]
    # Their wells move to the other campaign: the tally's old group now
    # sums to no well (until it is compacted), and the campaign goes.
    mine = Well.objects.filter(responsible_unit=officer.unit)
    assert mine.update(campaign=world.campaigns["fukang"]) == 3
    assert list(Campaign.objects.visible_to(officer).values_list("name", flat=True)) == ["阜康市关停"]
    mine.update(archived_at=timezone.now())
    assert not Campaign.objects.visible_to(officer).exists()


def test_an_officer_reads_the_townships_their_unit_answers_for_live_wells_in(world):
    officer = world.users["officer"]
    own = set(Township.objects.visible_to(officer).values_list("code", flat=True))
    assert own == {"t652301005"}  # its government's, where its wells are
    elsewhere = next(well for well in world.wells["changji"] if well.township.code not in own)
    moved = Well.objects.filter(pk=elsewhere.pk)
    moved.update(responsible_unit=officer.unit)
    assert set(Township.objects.visible_to(officer).values_list("code", flat=True)) == own | {elsewhere.township.code}
    moved.update(archived_at=timezone.now())
    assert set(Township.objects.visible_to(officer).values_list("code", flat=True)) == own


def test_a_bureau_cannot_be_left_out_of_its_division_once_divisions_exist(world):
    bureau = UnitFactory.build(name="新水利局", kind=UnitKind.BUREAU)
    with pytest.raises(ValidationError, match="division"):
        bureau.full_clean()
    bureau.division = world.divisions["652302"]
    bureau.full_clean()


def _fukang_urls(world):
    well = world.wells["fukang"][0]
    campaign = world.campaigns["fukang"]
    task = Task.objects.create(well=well, unit=well.responsible_unit, step=Step.NOTIFY)
    ticket = Ticket.objects.create(
        source=TicketSource.INSPECTION, well=well, unit=well.responsible_unit, description="复用"
    )
    return {
        "api well": f"/api/v1/wells/{well.code}/",
        "api events": f"/api/v1/wells/{well.code}/events/",
        "api dossier": f"/api/v1/wells/{well.code}/dossier.zip",
        "api campaign": f"/api/v1/campaigns/{campaign.pk}/",
        "api archive": f"/api/v1/campaigns/{campaign.pk}/archive.zip",
        "api task": f"/api/v1/tasks/{task.pk}/",
        "api ticket": f"/api/v1/tickets/{ticket.pk}/",
        "well page": f"/well/{well.code}/",
        "facts page": f"/well/{well.code}/facts/",
        "label page": f"/well/{well.code}/label/",
        "ticket page": f"/tickets/{ticket.pk}/",
        "admin well": f"/admin/wells/well/{well.pk}/change/",
        "admin campaign": f"/admin/wells/campaign/{campaign.pk}/change/",
        "admin task": f"/admin/tasks/task/{task.pk}/change/",
        "api township": f"/api/v1/townships/{well.township.code}/",
        "api unit": f"/api/v1/units/{well.township.government_id}/",
        "api bureau": f"/api/v1/units/{campaign.bureau_id}/",
        "admin township": f"/admin/wells/township/{well.township_id}/change/",
        "admin unit": f"/admin/accounts/unit/{well.township.government_id}/change/",
    }


@pytest.mark.parametrize("username", ["changji_bureau_admin", "changji_bureau_staff", "changji_leader"])
def test_a_neighbouring_bureaus_objects_answer_404(world, username):
    user = world.users[username]
    urls = _fukang_urls(world)
    answers = {
        name: (api(user) if name.startswith("api") else page(user)).get(url).status_code for name, url in urls.items()
    }
    assert answers == dict.fromkeys(urls, 404)


def test_the_prefecture_reaches_both_counties_objects(world):
    urls = _fukang_urls(world)
    prefecture = world.users["prefecture"]
    for name in ("api well", "api campaign", "api task", "api ticket", "well page", "ticket page"):
        client = api(prefecture) if name.startswith("api") else page(prefecture)
        assert client.get(urls[name]).status_code == 200, name


def test_lists_exports_and_figures_hold_only_the_bureaus_own(world):
    user = world.users["changji_bureau_staff"]
    fukang = world.wells["fukang"][0]
    Task.objects.create(well=fukang, unit=fukang.responsible_unit, step=Step.NOTIFY)
    Ticket.objects.create(source=TicketSource.INSPECTION, well=fukang, unit=fukang.responsible_unit, description="复用")
    client = api(user)
    assert client.get("/api/v1/tasks/").json()["results"] == []
    assert client.get("/api/v1/tickets/").json()["results"] == []
    assert [row["name"] for row in client.get("/api/v1/campaigns/").json()] == ["昌吉市关停"]
    assert client.get("/api/v1/stats/summary/").json()["totals"]["total"] == 5
    # A neighbour's campaign, township or unit is refused as one that is not
    # there (a page's lists do not offer them).
    for name, value in [
        ("campaign", world.campaigns["fukang"].pk),
        ("township", "t652302001"),
        ("unit", world.bureaus["阜康市水利局"].pk),
    ]:
        response = client.get("/api/v1/stats/summary/", {name: value})
        assert response.status_code == 400, name
        assert name in response.json()
    export = b"".join(client.get("/api/v1/exports/wells.xlsx").streaming_content)
    import openpyxl

    sheet = openpyxl.load_workbook(io.BytesIO(export)).active
    exported = {row[0] for row in sheet.iter_rows(values_only=True)}
    assert world.codes("changji") <= exported
    assert not world.codes("fukang") & exported
    browser = page(user)
    ledger = browser.get("/wells/").content.decode()
    assert all(code not in ledger for code in world.codes("fukang"))
    assert "阜康" not in ledger and "博峰街道" not in ledger  # nor in the filters' lists
    assert all(code in ledger for code in world.codes("changji"))
    admin_list = browser.get("/admin/wells/well/").content.decode()
    assert all(code not in admin_list for code in world.codes("fukang"))
    overview = browser.get("/tasks/overview/")
    assert overview.status_code == 200
    dashboard = browser.get("/dashboard/?campaign=").content.decode()
    assert "阜康" not in dashboard


def test_a_work_report_of_a_neighbours_campaign_is_refused(world):
    response = api(world.users["changji_leader"]).get(
        f"/api/v1/reports/work-report.docx?campaign={world.campaigns['fukang'].pk}"
    )
    assert response.status_code == 400
    assert "campaign" in response.json()


def new_well(world, code, *, street, county):
    """A new well's values as the door takes them: in ``street``, answered for
    by its government, in ``county``'s campaign."""
    return {
        "code": code,
        "owner_name": "某人",
        "owner_kind": "person",
        "township": world.townships[street],
        "uses": ["irrigation"],
        "responsible_unit": world.townships[street].government,
        "campaign": world.campaigns[county],
        "category": "unlicensed",
    }


def as_posted(values):
    """``values`` of :func:`new_well` as the API takes them."""
    return {
        **values,
        "township": values["township"].code,
        "responsible_unit": values["responsible_unit"].pk,
        "campaign": values["campaign"].pk,
    }


def test_a_bureau_cannot_add_a_well_to_a_neighbours_campaign(world):
    staff = world.users["changji_bureau_staff"]
    posted = as_posted(new_well(world, "SNEAK-1", street="652302001", county="fukang"))
    response = api(staff).post("/api/v1/wells/", posted, format="json")
    assert response.status_code == 400
    assert "campaign" in response.json()
    assert not Well.objects.filter(code="SNEAK-1").exists()
    # The door itself refuses it, whatever page or script calls it.
    with pytest.raises(changes.WorkflowError, match="No such campaign"):
        changes.create_well(actor=staff, values=new_well(world, "SNEAK-2", street="652302001", county="fukang"))
    assert not Well.objects.filter(code="SNEAK-2").exists()


def test_a_bureau_cannot_place_its_well_in_a_neighbours_township_or_unit(world):
    staff = world.users["changji_bureau_staff"]
    fukang_street = world.townships["652302001"]
    new = as_posted(new_well(world, "SNEAK-3", street="652301005", county="changji"))
    client = api(staff)
    for name, value in [("township", fukang_street.code), ("responsible_unit", fukang_street.government_id)]:
        response = client.post("/api/v1/wells/", {**new, name: value}, format="json")
        assert response.status_code == 400, name
        assert name in response.json()
    assert not Well.objects.filter(code="SNEAK-3").exists()
    # A change may not move one of its wells there either, by any door.
    well = world.wells["changji"][0]
    response = client.patch(
        f"/api/v1/wells/{well.code}/", {"township": fukang_street.code, "version": well.version}, format="json"
    )
    assert response.status_code == 400
    with pytest.raises(changes.WorkflowError, match="No such unit"):
        changes.change_facts(
            well, actor=staff, values={"responsible_unit": fukang_street.government}, version=well.version
        )
    with pytest.raises(changes.WorkflowError, match="No such township"):
        changes.create_well(
            actor=staff,
            values={**new_well(world, "SNEAK-4", street="652301005", county="changji"), "township": fukang_street},
        )
    well.refresh_from_db()
    assert well.version == 1
    assert well.township.division.path.startswith("652301")
    assert well.responsible_unit == well.township.government
    assert not Well.objects.filter(code="SNEAK-4").exists()


def test_an_import_naming_a_neighbours_township_refuses_the_row_by_number(world):
    from tests.test_excel_import import row, run_import, workbook

    staff = world.users["changji_bureau_staff"]
    content = workbook(
        [
            row("IMP-1", **{"乡镇(街道)": "中山路街道", "责任单位": "中山路街道办事处"}),
            row("IMP-2", **{"乡镇(街道)": "博峰街道", "责任单位": "中山路街道办事处"}),
        ]
    )
    result = run_import(content, world.campaigns["changji"], actor=staff)
    assert result.created == 0
    assert any("博峰街道" in str(error) and "3" in str(error) for error in result.errors), result.errors
    assert not Well.objects.filter(code__startswith="IMP-").exists()


def test_a_ticket_cannot_be_given_to_a_neighbours_unit(world):
    from supervision.choices import TicketAction
    from supervision.workflow import TicketError
    from supervision.workflow import perform as perform_ticket

    staff = world.users["changji_bureau_staff"]
    well = world.wells["changji"][0]
    ticket = Ticket.objects.create(source=TicketSource.INSPECTION, well=well, description="复用")
    with pytest.raises(TicketError, match="unit"):
        perform_ticket(
            ticket,
            TicketAction.ASSIGN,
            actor=staff,
            data={"unit": world.townships["652302001"].government_id, "due_on": "2099-01-01"},
            version=ticket.version,
        )
    ticket.refresh_from_db()
    assert ticket.unit_id is None
    # The ticket page's list offers only the bureau's own units.
    shown = page(staff).get(f"/tickets/{ticket.pk}/").content.decode()
    assert "中山路街道办事处" in shown
    assert "博峰街道办事处" not in shown and "阜康市水利局" not in shown


def listed(client, path, key):
    response = client.get(path)
    assert response.status_code == 200, response.content
    return {row[key] for row in response.json()}


CHANGJI_UNITS = {"昌吉市水利局", "宁边路街道办事处", "中山路街道办事处"}
FUKANG_UNITS = {"阜康市水利局", "博峰街道办事处", "阜新街道办事处"}


def test_units_and_townships_hold_only_the_bureaus_own(world):
    assert {ROWS[path]["name"] + "办事处" for path in FUKANG_STREETS} | {"阜康市水利局"} == FUKANG_UNITS
    changji, fukang = world.users["changji_bureau_staff"], world.users["fukang_leader"]
    assert listed(api(changji), "/api/v1/units/", "name") == CHANGJI_UNITS
    assert listed(api(fukang), "/api/v1/units/", "name") == FUKANG_UNITS
    assert listed(api(changji), "/api/v1/townships/", "code") == {f"t{path}" for path in CHANGJI_STREETS}
    assert listed(api(fukang), "/api/v1/townships/", "code") == {f"t{path}" for path in FUKANG_STREETS}
    # The prefecture reads both counties and its own bureau; the region
    # every bureau placed below it.
    prefecture = listed(api(world.users["prefecture"]), "/api/v1/units/", "name")
    assert prefecture == CHANGJI_UNITS | FUKANG_UNITS | {"昌吉州水利局"}
    assert listed(api(world.users["region"]), "/api/v1/units/", "name") == prefecture | {"新疆维吾尔自治区水利厅"}
    assert len(listed(api(world.users["prefecture"]), "/api/v1/townships/", "code")) == 4


def test_an_officer_and_a_member_unit_read_the_units_of_their_own_work(world):
    officer = world.users["officer"]
    # Their own government and township, and the bureau whose campaign holds
    # their wells; not the other streets, not the neighbouring county.
    assert listed(api(officer), "/api/v1/units/", "name") == {"中山路街道办事处", "昌吉市水利局"}
    assert listed(api(officer), "/api/v1/townships/", "code") == {"t652301005"}
    grid = UnitFactory(name="国网昌吉供电公司", kind=UnitKind.COMPANY, division=world.divisions["652301"])
    from tasks.models import Duty

    Duty.objects.create(campaign=world.campaigns["changji"], step=Step.DISCONNECT, unit=grid)
    member = UserFactory(username="grid", unit=grid, role=Role.UNIT_MEMBER)
    well = world.wells["changji"][0]
    Task.objects.create(well=well, unit=grid, step=Step.DISCONNECT)
    assert listed(api(member), "/api/v1/units/", "name") == {
        "国网昌吉供电公司",
        "昌吉市水利局",
        well.township.government.name,
    }
    assert listed(api(member), "/api/v1/townships/", "code") == {well.township.code}
    # The county's bureau reads the unit placed in its county and named by a
    # duty of its campaign; the neighbour reads neither.
    assert "国网昌吉供电公司" in listed(api(world.users["changji_leader"]), "/api/v1/units/", "name")
    assert "国网昌吉供电公司" not in listed(api(world.users["fukang_leader"]), "/api/v1/units/", "name")
    # A unit without a role reads nothing.
    nobody = UserFactory(username="nobody", unit=grid)
    nobody.groups.set([])
    assert api(nobody).get("/api/v1/units/").status_code in (200, 403)
    from accounts.models import Unit
    from wells.models import Township

    assert not Unit.objects.visible_to(nobody).exists()
    assert not Township.objects.visible_to(nobody).exists()


def test_an_unplaced_deployment_reads_every_unit_and_township(world):
    unplaced = UserFactory(username="unplaced_staff", unit=UnitFactory(name="未划分水利局", kind=UnitKind.BUREAU))
    unplaced.groups.set([])
    staff = UserFactory(username="unplaced_staff2", unit=unplaced.unit, role=Role.BUREAU_STAFF)
    root = UserFactory(username="root", is_superuser=True, role=Role.BUREAU_ADMIN)
    from accounts.models import Unit

    for user in (staff, root):
        assert listed(api(user), "/api/v1/units/", "name") == set(Unit.objects.values_list("name", flat=True))
        assert len(listed(api(user), "/api/v1/townships/", "code")) == 4


def test_a_bureau_administrator_manages_only_their_own_bureaus_users(world):
    admin_user = world.users["changji_bureau_admin"]
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    browser = page(admin_user)
    listing = browser.get("/admin/accounts/user/").content.decode()
    assert "changji_bureau_staff" in listing
    assert "fukang_bureau_staff" not in listing
    neighbour = world.users["fukang_bureau_staff"]
    assert browser.get(f"/admin/accounts/user/{neighbour.pk}/change/").status_code == 404
    # A new user cannot be given a neighbouring bureau's unit.
    response = browser.post(
        "/admin/accounts/user/add/",
        {
            "username": "sneak",
            "password1": "Xk8#pL2!qv9Z",
            "password2": "Xk8#pL2!qv9Z",
            "unit": world.bureaus["阜康市水利局"].pk,
            "groups": [],
            "is_staff": "on",
            "usable_password": "true",
        },
    )
    assert response.status_code == 200
    assert "unit" in response.context["adminform"].form.errors
    from accounts.models import User

    assert not User.objects.filter(username="sneak").exists()
    # Nor placed in a neighbouring division.
    response = browser.post(
        "/admin/accounts/unit/add/",
        {"name": "潜入单位", "kind": UnitKind.COMPANY, "division": world.divisions["652302"].pk},
    )
    assert response.status_code == 200
    assert "division" in response.context["adminform"].form.errors
    # The unit autocomplete offers only the bureau's own.
    found = browser.get(
        "/admin/autocomplete/", {"app_label": "accounts", "model_name": "user", "field_name": "unit", "term": "水利局"}
    ).json()
    assert {row["text"] for row in found["results"]} == {"昌吉市水利局"}


def test_every_unit_is_placed_once_divisions_exist(world):
    unit = UnitFactory.build(name="新公司", kind=UnitKind.COMPANY)
    with pytest.raises(ValidationError, match="division"):
        unit.full_clean()
    unit.division = world.divisions["652301"]
    unit.full_clean()


# Roll-up ---------------------------------------------------------------------


def summary(user, **query):
    response = api(user).get("/api/v1/stats/summary/", query)
    assert response.status_code == 200, response.content
    return response.json()


def counted(path):
    """The wells in the work whose township lies in the division ``path``,
    counted from the wells (not the tally)."""
    return Well.objects.filter(archived_at__isnull=True, township__division__path__startswith=path).count()


def assert_rolls_up(world):
    """Each level's total is the sum of its parts, and each part what a
    count of the wells says."""
    region = world.users["region"]
    for path in ("65", "6523", "652301", "652302"):
        data = summary(region, division=path)
        assert data["division"]["path"] == path
        assert data["totals"]["total"] == counted(path)
        assert sum(row["total"] for row in data["divisions"]) == data["totals"]["total"]
        for name in ("accepted", "sealed", "retained", "overdue", "to_close"):
            assert sum(row[name] for row in data["divisions"]) == data["totals"][name], (path, name)
        for row in data["divisions"]:
            assert row["path"] is not None
            assert row["total"] == counted(row["path"])
    for path in (*CHANGJI_STREETS, *FUKANG_STREETS):
        data = summary(region, division=path)
        assert data["totals"]["total"] == counted(path)
        assert data["divisions"] == []


def test_the_summary_drills_down_from_the_region_to_the_streets(world):
    data = summary(world.users["prefecture"])
    assert data["division"] == {"code": "652300000000", "path": "6523", "name": "昌吉回族自治州", "level": "prefecture"}
    assert [(row["name"], row["total"], row["level"]) for row in data["divisions"]] == [
        ("昌吉市", 5, "county"),
        ("阜康市", 5, "county"),
    ]
    county = summary(world.users["prefecture"], division="652301")
    assert [(row["code"], row["total"]) for row in county["divisions"]] == [("652301001000", 2), ("652301005000", 3)]
    assert_rolls_up(world)


def test_a_county_bureau_drills_down_its_own_county_only(world):
    data = summary(world.users["changji_leader"])
    assert data["division"]["path"] == "652301"
    assert [(row["name"], row["total"]) for row in data["divisions"]] == [("宁边路街道", 2), ("中山路街道", 3)]
    # The prefecture asked for by a county bureau: its own wells only.
    above = summary(world.users["changji_leader"], division="6523")
    assert [(row["name"], row["total"]) for row in above["divisions"]] == [("昌吉市", 5)]


def test_an_unknown_division_is_refused_by_name(world):
    response = api(world.users["region"]).get("/api/v1/stats/summary/", {"division": "999999"})
    assert response.status_code == 400
    assert "division" in response.json()


def test_the_roll_up_holds_after_every_kind_of_write(world):
    admin = world.users["changji_bureau_admin"]
    assert_rolls_up(world)

    # Create.
    created = changes.create_well(
        actor=admin,
        values={
            "code": "CHANGJI-NEW-1",
            "owner_name": "新户",
            "owner_kind": "person",
            "township": world.townships["652301001"],
            "uses": ["irrigation"],
            "responsible_unit": world.townships["652301001"].government,
            "campaign": world.campaigns["changji"],
            "category": "unlicensed",
            "deadline": datetime.date(2023, 11, 30),
        },
    )
    assert_rolls_up(world)
    assert summary(world.users["region"], division="652301001")["totals"]["total"] == 3

    # A transition, then its revert.
    well = world.wells["changji"][0]
    well = perform(
        well,
        Action.NOTIFY,
        actor=admin,
        data={"notice_no": "通知1号", "served_on": "2023-01-02", "comply_by": "2023-02-01"},
    )
    assert_rolls_up(world)
    perform(well, Action.REVERT, actor=admin, data={"reason": "录错"})
    assert_rolls_up(world)

    # Moved to another street (and its unit) by a fact edit.
    moved = Well.objects.get(code=world.wells["changji"][1].code)
    changes.change_facts(
        moved,
        actor=admin,
        values={"township": world.townships["652301005"], "responsible_unit": world.townships["652301005"].government},
        version=moved.version,
    )
    assert_rolls_up(world)
    assert summary(world.users["region"], division="652301001")["totals"]["total"] == 2

    # Archived, then restored.
    archived = changes.archive_well(created, actor=admin, reason="重复录入", version=created.version)
    assert_rolls_up(world)
    assert summary(world.users["region"], division="652301001")["totals"]["total"] == 1
    changes.restore_well(archived, actor=admin, reason="并非重复", version=archived.version)
    assert_rolls_up(world)

    # An import of a new well into 阜康's street.
    fukang_admin = world.users["fukang_bureau_admin"]
    from tests.test_excel_import import row, run_import, workbook

    content = workbook(
        [
            row(
                "FUKANG-IMPORTED-1",
                **{"乡镇(街道)": ROWS["652302002"]["name"], "责任单位": world.townships["652302002"].government.name},
            )
        ]
    )
    result = run_import(content, world.campaigns["fukang"], actor=fukang_admin)
    assert not result.errors, result.errors
    assert Well.objects.filter(code="FUKANG-IMPORTED-1", township__division__path="652302002").exists()
    assert_rolls_up(world)
    assert summary(world.users["region"], division="652302")["totals"]["total"] == 6


def test_the_dashboard_drills_down_with_links_one_level_further(world):
    client = page(world.users["prefecture"])
    html = client.get("/dashboard/?campaign=").content.decode()
    assert 'data-division="652301"' in html and 'data-division="652302"' in html
    assert "division=652301" in html
    county = client.get("/dashboard/?campaign=&division=652302").content.decode()
    assert 'data-division="652302001"' in county and 'data-division="652301001"' not in county
    assert "阜康市" in county


def test_load_divisions_refuses_a_bad_row_by_number_and_writes_nothing(db, tmp_path):
    bad = tmp_path / "bad.csv"
    with open(bad, "w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["path", "name", "level", "parent"])
        writer.writerow(["65", "新疆维吾尔自治区", "region", ""])
        writer.writerow(["6523", "昌吉回族自治州", "prefecture", "65"])
        writer.writerow(["65230", "错码", "county", "6523"])
    from django.core.management.base import CommandError

    # The command speaks the site's language: 第4行 is "row 4".
    with pytest.raises(CommandError, match="第4行（65230）"):
        call_command("load_divisions", str(bad), stdout=io.StringIO())
    assert not Division.objects.exists()
