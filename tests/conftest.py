"""Fixed personas, after healthchecks' alice and bob: one person per role,
and two townships so every scope has an inside and an outside."""

import pytest

from accounts.choices import Role, UnitKind
from tests.factories import CampaignFactory, TownshipFactory, UnitFactory, UserFactory, WellFactory


@pytest.fixture
def bureau(db):
    return UnitFactory(name="市水利局", kind=UnitKind.BUREAU)


@pytest.fixture
def zhongshan_unit(db):
    return UnitFactory(name="中山路街道办事处", kind=UnitKind.TOWNSHIP)


@pytest.fixture
def ningbian_unit(db):
    return UnitFactory(name="宁边路街道办事处", kind=UnitKind.TOWNSHIP)


@pytest.fixture
def grid_unit(db):
    return UnitFactory(name="国网昌吉供电公司客户服务中心", kind=UnitKind.COMPANY)


@pytest.fixture
def zhongshan(zhongshan_unit):
    return TownshipFactory(code="zhongshanlu", name="中山路街道", government=zhongshan_unit)


@pytest.fixture
def ningbian(ningbian_unit):
    return TownshipFactory(code="ningbianlu", name="宁边路街道", government=ningbian_unit)


@pytest.fixture
def campaign(db):
    return CampaignFactory()


@pytest.fixture
def admin_user(bureau):
    return UserFactory(username="alice_admin", unit=bureau, role=Role.BUREAU_ADMIN)


@pytest.fixture
def staff(bureau):
    return UserFactory(username="bob_staff", unit=bureau, role=Role.BUREAU_STAFF)


@pytest.fixture
def officer(zhongshan_unit):
    return UserFactory(username="carol_officer", unit=zhongshan_unit, role=Role.TOWNSHIP_OFFICER)


@pytest.fixture
def other_officer(ningbian_unit):
    return UserFactory(username="dave_officer", unit=ningbian_unit, role=Role.TOWNSHIP_OFFICER)


@pytest.fixture
def member(grid_unit):
    return UserFactory(username="erin_grid", unit=grid_unit, role=Role.UNIT_MEMBER)


@pytest.fixture
def leader(bureau):
    return UserFactory(username="frank_leader", unit=bureau, role=Role.LEADER)


@pytest.fixture
def well(zhongshan, campaign):
    """An unlicensed irrigation well of 中山路街道, just inventoried."""
    return WellFactory(township=zhongshan, campaign=campaign)


@pytest.fixture
def other_well(ningbian, campaign):
    """A well of 宁边路街道: outside the 中山路 officer's scope."""
    return WellFactory(township=ningbian, campaign=campaign)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 costs ~0.3 s a persona; tests need no strong hashes. PBKDF2
    stays second so the demo users' stored hashes still verify."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
