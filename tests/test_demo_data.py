"""The Changji 2022 demo data (DESIGN §6) says what the plan, 昌市政办发〔2022〕7号,
says: its phases, its member units, 25 wells to close by responsible body and
deadline, 11 retained emergency sources, and the six demo users."""

import datetime
from collections import Counter
from io import StringIO

import pytest
from django.conf import global_settings
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.choices import Role, UnitKind
from accounts.models import Division, Unit, User
from wells.choices import Category, OwnerKind, Status, Use
from wells.models import Campaign, Phase, Township, Well

BY_2022 = datetime.date(2022, 11, 30)
BY_2023 = datetime.date(2023, 11, 30)


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=StringIO())
    return Campaign.objects.get(notice_no="昌市政办发〔2022〕7号")


def test_the_campaign_is_the_2022_notice_led_by_the_bureau(demo):
    assert demo.name == "昌吉市2022年地下水禁采区36眼机电井关停"
    assert demo.issued_on == datetime.date(2022, 3, 14)
    assert demo.deadline == BY_2023
    assert demo.lead_unit.name == "昌吉市水利局"
    assert demo.lead_unit.kind == UnitKind.BUREAU


def test_the_campaign_has_the_plans_four_phases_and_their_deadlines(demo):
    phases = [(phase.order, phase.name, phase.deadline) for phase in Phase.objects.filter(campaign=demo)]
    assert phases == [
        (1, "体系建立", datetime.date(2022, 2, 23)),
        (2, "宣传动员", datetime.date(2022, 3, 20)),
        (3, "关停整治", BY_2023),
        (4, "总结验收", BY_2023),
    ]
    assert "牵头单位：市水利局" in Phase.objects.get(campaign=demo, order=2).description
    assert "市委宣传部" in Phase.objects.get(campaign=demo, order=2).description


def test_every_member_unit_of_the_leading_group_is_there_with_its_duties(demo):
    expected = {
        "昌吉市水利局": UnitKind.BUREAU,
        "市委宣传部": UnitKind.DEPARTMENT,
        "市商务和工信局": UnitKind.DEPARTMENT,
        "州生态环境局昌吉市分局": UnitKind.DEPARTMENT,
        "市住建局": UnitKind.DEPARTMENT,
        "市城市管理局": UnitKind.DEPARTMENT,
        "市财政局": UnitKind.DEPARTMENT,
        "市信访投诉受理服务中心": UnitKind.DEPARTMENT,
        "市经济发展投资有限责任公司": UnitKind.COMPANY,
        "市清源水务有限责任公司": UnitKind.COMPANY,
        "国网昌吉供电公司客户服务中心": UnitKind.COMPANY,
        "滨湖镇人民政府": UnitKind.TOWNSHIP,
        "庙尔沟乡人民政府": UnitKind.TOWNSHIP,
        "建国路街道办事处": UnitKind.TOWNSHIP,
        "中山路街道办事处": UnitKind.TOWNSHIP,
        "宁边路街道办事处": UnitKind.TOWNSHIP,
    }
    leading_group = Unit.objects.exclude(name="昌吉州水利局")
    assert dict(leading_group.values_list("name", "kind")) == expected
    assert not leading_group.filter(duties="").exists()
    assert "井电双控" in Unit.objects.get(name="国网昌吉供电公司客户服务中心").duties
    assert "城市应急备用水源机井的日常管理" in Unit.objects.get(name="市城市管理局").duties
    assert "主体责任" in Unit.objects.get(name="中山路街道办事处").duties
    assert Unit.objects.get(name="市经济发展投资有限责任公司").short_name == "市经投公司"


def test_each_township_answers_to_its_own_government(demo):
    governments = dict(Township.objects.values_list("code", "government__name"))
    assert governments == {
        "binhu": "滨湖镇人民政府",
        "miaoergou": "庙尔沟乡人民政府",
        "jianguolu": "建国路街道办事处",
        "zhongshanlu": "中山路街道办事处",
        "ningbianlu": "宁边路街道办事处",
    }


def test_the_campaign_has_36_wells_25_to_close_and_11_retained(demo):
    wells = Well.objects.filter(campaign=demo)
    counts = wells.summary_counts(today=datetime.date(2022, 3, 14))
    assert (counts["total"], counts["to_close"], counts["retained"]) == (36, 25, 11)
    assert counts["overdue"] == 0
    assert set(wells.values_list("zone", flat=True)) == {"prohibited"}
    assert set(wells.exclude(category=Category.RETAINED).values_list("status", "version")) == {(Status.INVENTORIED, 1)}


def test_wells_to_close_follow_the_plans_responsible_bodies_and_deadlines(demo):
    to_close = Well.objects.exclude(category=Category.RETAINED)
    counts = Counter(to_close.values_list("responsible_unit__name", "deadline"))
    assert counts == {
        ("滨湖镇人民政府", BY_2022): 1,
        ("庙尔沟乡人民政府", BY_2023): 3,
        ("建国路街道办事处", BY_2022): 1,
        ("中山路街道办事处", BY_2022): 1,
        ("中山路街道办事处", BY_2023): 8,
        ("宁边路街道办事处", BY_2023): 10,
        ("昌吉市水利局", BY_2022): 1,
    }


def test_the_zhongshan_farm_well_is_the_one_due_in_2022(demo):
    farm = Well.objects.get(responsible_unit__name="中山路街道办事处", deadline=BY_2022)
    assert farm.owner_name == "****************农场"
    assert "自备井" in farm.note


def test_the_western_heating_company_well_is_the_bureaus_own_task(demo):
    well = Well.objects.get(owner_name="昌吉西部热力有限公司")
    assert well.responsible_unit.name == "昌吉市水利局"
    assert well.owner_kind == OwnerKind.ENTERPRISE
    assert well.township is None
    assert well.deadline == BY_2022


def test_owner_names_the_plan_masks_stay_masked(demo):
    assert Well.objects.get(township__code="binhu").owner_name == "************"
    persons = Well.objects.filter(owner_kind=OwnerKind.PERSON).values_list("owner_name", flat=True)
    assert persons and all(name.endswith("**") for name in persons)


@pytest.mark.parametrize(
    ("unit", "uses"),
    [
        ("滨湖镇人民政府", {("domestic", "greening"): 1}),
        ("庙尔沟乡人民政府", {("domestic",): 2, ("livestock",): 1}),
        ("建国路街道办事处", {("domestic",): 1}),
        ("中山路街道办事处", {("domestic",): 2, ("domestic", "irrigation"): 2, ("irrigation",): 5}),
        ("宁边路街道办事处", {("irrigation",): 10}),
        ("昌吉市水利局", {("industrial",): 1}),
        ("市城市管理局", {("emergency",): 11}),
    ],
)
def test_each_bodys_wells_have_the_uses_the_plan_gives(demo, unit, uses):
    wells = Well.objects.filter(responsible_unit__name=unit)
    assert Counter(tuple(well.uses) for well in wells) == uses


def test_mixed_use_wells_are_found_by_either_use(demo):
    zhongshan = Well.objects.filter(township__code="zhongshanlu")
    assert zhongshan.with_use(Use.DOMESTIC).count() == 4
    assert zhongshan.with_use(Use.IRRIGATION).count() == 7


def test_retained_wells_are_emergency_sources_kept_by_city_management(demo):
    retained = Well.objects.filter(category=Category.RETAINED)
    assert retained.count() == 11
    for well in retained:
        assert well.status == Status.RETAINED
        assert well.uses == [Use.EMERGENCY]
        assert well.responsible_unit.name == "市城市管理局"
        assert well.deadline is None
        assert well.review_on is not None
        assert "城市供水应急水源" in well.note


def test_only_licensed_wells_hold_a_licence_number(demo):
    licensed = Well.objects.filter(category=Category.LICENSED)
    assert set(licensed.values_list("code", flat=True)) == {"CJ-BH-01", "CJ-ZSL-09", "CJ-SW-01"}
    assert all(well.license_no.startswith("取水(昌)字") for well in licensed)
    assert not Well.objects.exclude(category=Category.LICENSED).exclude(license_no="").exists()


def test_every_demo_well_passes_model_validation(demo):
    for well in Well.objects.all():
        well.full_clean()
        assert well.lat is not None and well.lng is not None


@pytest.mark.parametrize(
    ("username", "role", "unit"),
    [
        ("admin", Role.BUREAU_ADMIN, "昌吉市水利局"),
        ("staff", Role.BUREAU_STAFF, "昌吉市水利局"),
        ("zhongshan", Role.TOWNSHIP_OFFICER, "中山路街道办事处"),
        ("ningbian", Role.TOWNSHIP_OFFICER, "宁边路街道办事处"),
        ("grid", Role.UNIT_MEMBER, "国网昌吉供电公司客户服务中心"),
        ("water", Role.UNIT_MEMBER, "市清源水务有限责任公司"),
        ("investco", Role.UNIT_MEMBER, "市经济发展投资有限责任公司"),
        ("leader", Role.LEADER, "昌吉市水利局"),
        ("prefecture", Role.LEADER, "昌吉州水利局"),
    ],
)
def test_demo_users_sign_in_with_the_demo_password_and_hold_their_role(demo, settings, username, role, unit):
    # The production hashers: the fixture must hold real PBKDF2 hashes.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    user = authenticate(username=username, password="demo-pass-2022")
    assert user is not None
    assert user.role == role
    assert user.unit.name == unit
    assert user.is_staff and user.is_active and not user.is_superuser
    assert user.display_name
    assert user.password.startswith("pbkdf2_sha256$")
    assert authenticate(username=username, password="wrong-pass") is None


@pytest.mark.parametrize(
    ("username", "visible"),
    [("zhongshan", 9), ("ningbian", 10), ("leader", 36), ("staff", 36), ("admin", 36), ("prefecture", 36)],
)
def test_demo_users_see_the_wells_of_their_scope(demo, username, visible):
    user = User.objects.get(username=username)
    wells = Well.objects.visible_to(user)
    assert wells.count() == visible
    if user.role == Role.TOWNSHIP_OFFICER:
        assert set(wells.values_list("responsible_unit", flat=True)) == {user.unit_id}


def test_loading_the_demo_twice_does_not_duplicate_it(demo):
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert "already loaded" in out.getvalue()
    call_command("load_demo", "--force", stdout=StringIO())
    assert Campaign.objects.count() == 1
    assert Phase.objects.count() == 4
    assert Well.objects.count() == 36
    assert Unit.objects.count() == 17
    assert Township.objects.count() == 5
    assert User.objects.count() == 9
    assert Division.objects.count() == 1529


def test_a_well_added_after_the_demo_gets_a_fresh_id(demo):
    # loaddata sets explicit ids; PostgreSQL's sequence must be moved past them.
    well = Well.objects.create(
        code="CJ-NEW-01",
        owner_name="李**",
        owner_kind=OwnerKind.PERSON,
        uses=[Use.IRRIGATION],
        responsible_unit=Unit.objects.get(name="宁边路街道办事处"),
        campaign=demo,
        category=Category.UNLICENSED,
    )
    assert well.pk > 36


def test_the_demo_refuses_to_load_over_a_ledger_of_other_wells(db):
    """The fixtures name rows by primary key: loaded into a bureau's real
    ledger they would overwrite campaign 1 and wells 1–36."""
    from django.core.management.base import CommandError

    from tests.factories import WellFactory

    real = WellFactory(code="REAL-0001", owner_name="真实取水户")

    with pytest.raises(CommandError, match="already holds a ledger"):
        call_command("load_demo", stdout=StringIO())

    real.refresh_from_db()
    assert (real.code, real.owner_name) == ("REAL-0001", "真实取水户")
    assert Well.objects.count() == 1
    assert not Campaign.objects.filter(notice_no="昌市政办发〔2022〕7号").exists()
    assert not Division.objects.exists()


def test_the_demo_is_placed_in_changji_prefecture_and_xinjiang(demo):
    bureau = Unit.objects.get(name="昌吉市水利局")
    assert demo.bureau == bureau
    assert (bureau.division.code, bureau.division.name) == ("652301000000", "昌吉市")
    assert [(d.path, d.name) for d in bureau.division.ancestors()] == [
        ("65", "新疆维吾尔自治区"),
        ("6523", "昌吉回族自治州"),
    ]
    prefecture = Unit.objects.get(name="昌吉州水利局")
    assert (prefecture.kind, prefecture.division.path) == (UnitKind.BUREAU, "6523")
    # The statistical codes of the plan's five townships and streets.
    assert dict(Township.objects.values_list("name", "division__path")) == {
        "宁边路街道": "652301001",
        "建国路街道": "652301004",
        "中山路街道": "652301005",
        "滨湖镇": "652301106",
        "庙尔沟乡": "652301203",
    }


def test_the_divisions_are_all_of_xinjiang_down_to_the_townships(demo):
    levels = Counter(Division.objects.values_list("level", flat=True))
    assert levels == {"region": 1, "prefecture": 15, "county": 108, "township": 1405}
    changji = Division.objects.get(path="6523")
    assert sorted(changji.children.values_list("name", flat=True)) == sorted(
        ["昌吉市", "阜康市", "呼图壁县", "玛纳斯县", "奇台县", "吉木萨尔县", "木垒哈萨克自治县"]
    )
    assert all(d.path.startswith(d.parent.path) for d in Division.objects.exclude(parent=None).select_related("parent"))
