"""Fixed personas, after healthchecks' alice and bob: one person per role,
and two townships so every scope has an inside and an outside; the tests'
clock, their attachment storage, a closure notice, and wells ready for each
action (built by :mod:`tests.lifecycle`)."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import FileSystemStorage

from accounts.choices import Role, UnitKind
from supervision.models import SupervisionFile
from tests.factories import CampaignFactory, TownshipFactory, UnitFactory, UserFactory, WellFactory
from tests.lifecycle import build_ready_well
from wells.models import Attachment


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


@pytest.fixture
def clock(time_machine):
    """2023-06-15 10:00 in Shanghai (``tests.api.helpers.TODAY``): mid-way
    through the test campaign, before its wells' 2023-11-30 deadline. A
    file that depends on the day asks for it with
    ``pytestmark = pytest.mark.usefixtures("clock")``; a test moves it
    with ``clock.move_to``."""
    time_machine.move_to(datetime.datetime(2023, 6, 15, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    return time_machine


@pytest.fixture(autouse=True)
def attachments_in_tmp(tmp_path, monkeypatch):
    """Uploads land in this test's own directory, never in var/attachments.
    The directory, for a test that looks at what was stored."""
    root = tmp_path / "attachments"
    monkeypatch.setattr(Attachment._meta.get_field("file"), "storage", FileSystemStorage(location=root))
    # The files of patrols and tickets (supervision) are stored there too.
    monkeypatch.setattr(SupervisionFile._meta.get_field("file"), "storage", FileSystemStorage(location=root))
    return root


@pytest.fixture
def notice():
    """The fields of a closure notice served before the clock's day, with a
    comply-by date after it (so it cannot be escalated yet)."""
    return {"notice_no": "昌水通〔2023〕15号", "served_on": "2023-06-01", "comply_by": "2023-06-30"}


@pytest.fixture
def ready_well(zhongshan, campaign, admin_user):
    """``ready_well(action, status)``: a 中山路 well (in the officer's scope)
    in ``status``, meeting every precondition of ``action``, with valid data
    for it (a :class:`tests.lifecycle.Case`). Its dates suit the clock."""

    def build(action, status):
        return build_ready_well(action, status, township=zhongshan, campaign=campaign, uploader=admin_user)

    return build
