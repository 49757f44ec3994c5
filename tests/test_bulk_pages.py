"""Bulk actions from the ledger apply to the ticked wells that can take
them and list the others with the reason; the "those that can" buttons tick
only wells that can."""

import re

import pytest
from django.core.management import call_command

from accounts.models import User
from wells.choices import Action, ChangeKind, Status
from wells.models import Well, WellChange, WellEvent
from wells.workflow import perform

pytestmark = pytest.mark.usefixtures("clock")

NOTICE = {"notice_no": "昌水关〔2023〕1号", "served_on": "2023-06-01", "comply_by": "2023-06-30"}


@pytest.fixture
def demo(db):
    call_command("load_demo", verbosity=0)
    users = {user.username: user for user in User.objects.all()}
    for code in ["CJ-ZSL-01", "CJ-ZSL-05", "CJ-ZSL-09"]:
        well = Well.objects.get(code=code)
        perform(well, Action.NOTIFY, actor=users["staff"], data=NOTICE, version=well.version)
    return users


MIXED = {
    "CJ-ZSL-05": None,  # notified, irrigation only: its power can be cut
    "CJ-ZSL-01": "等待市清源水务有限责任公司「接通替代水源」",  # domestic: the supply first
    "CJ-ZSL-09": "等待昌吉市水利局「注销取水许可证」",  # licensed: the licence first
    "CJ-ZSL-06": "等待中山路街道办事处「下达关停通知书」",  # no notice yet
}


def skipped_of(page):
    return dict(re.findall(r'<li data-code="([\w-]+)">.*?<span class="reason">(.*?)</span>', page))


def test_staff_cut_the_power_of_a_mixed_selection_and_see_which_were_skipped_and_why(client, demo):
    client.force_login(demo["staff"])
    chosen = {"wells": list(MIXED), "filters": "township=zhongshanlu"}

    asked = client.post("/wells/bulk/disconnect/", chosen).content.decode()
    assert skipped_of(asked) == {code: reason for code, reason in MIXED.items() if reason}
    assert re.search(r'data-testid="selected-wells">\s*<li>CJ-ZSL-05 [^<]*</li>\s*</ul>', asked)

    response = client.post("/wells/bulk/disconnect/", {**chosen, "apply": "yes", "disconnected_on": "2023-06-10"})

    assert response.status_code == 200
    page = response.content.decode()
    assert skipped_of(page) == {code: reason for code, reason in MIXED.items() if reason}
    assert 'data-testid="done-wells"' in page and "CJ-ZSL-05" in page
    statuses = dict(Well.objects.filter(code__in=MIXED).values_list("code", "status"))
    assert statuses == {
        "CJ-ZSL-05": Status.DISCONNECTED,
        "CJ-ZSL-01": Status.NOTIFIED,
        "CJ-ZSL-09": Status.NOTIFIED,
        "CJ-ZSL-06": Status.INVENTORIED,
    }
    assert WellEvent.objects.filter(action=Action.DISCONNECT).count() == 1


def test_a_bulk_action_every_ticked_well_takes_goes_back_to_the_ledger(client, demo):
    client.force_login(demo["staff"])
    response = client.post(
        "/wells/bulk/disconnect/",
        {"wells": ["CJ-ZSL-05"], "filters": "status=notified", "apply": "yes", "disconnected_on": "2023-06-10"},
    )
    assert response.status_code == 302
    assert response.url == "/wells/?status=notified"


def test_the_ledger_marks_each_well_with_the_bulk_actions_it_can_take(client, demo):
    client.force_login(demo["staff"])
    page = client.get("/wells/?township=zhongshanlu").content.decode()
    able = dict(re.findall(r'value="([\w-]+)" aria-label="[\w-]+" data-able="([\w ]*)"', page))
    assert able["CJ-ZSL-05"] == "deadline disconnect responsible_person"
    assert able["CJ-ZSL-01"] == "deadline responsible_person"  # the supply first
    assert able["CJ-ZSL-09"] == "deadline responsible_person"  # the licence first
    assert able["CJ-ZSL-06"] == "deadline notify responsible_person"
    assert 'data-select-able="disconnect"' in page


def test_an_officer_is_offered_no_deadline_and_cannot_post_one(client, demo):
    client.force_login(demo["zhongshan"])
    page = client.get("/wells/").content.decode()
    assert 'data-testid="bulk-responsible_person"' in page
    assert 'data-testid="bulk-deadline"' not in page
    response = client.post("/wells/bulk/deadline/", {"wells": ["CJ-ZSL-05"], "apply": "yes", "deadline": "2024-01-31"})
    assert response.status_code == 403


def test_staff_set_the_deadline_and_the_responsible_person_of_the_ticked_wells(client, demo):
    client.force_login(demo["staff"])
    codes = ["CJ-ZSL-05", "CJ-ZSL-06"]

    deadline = client.post("/wells/bulk/deadline/", {"wells": codes, "apply": "yes", "deadline": "2024-01-31"})
    person = client.post(
        "/wells/bulk/responsible_person/", {"wells": codes, "apply": "yes", "responsible_person": "王科长"}
    )

    assert deadline.status_code == person.status_code == 302
    for well in Well.objects.filter(code__in=codes):
        assert (str(well.deadline), well.responsible_person) == ("2024-01-31", "王科长")
        kinds = list(
            WellChange.objects.filter(well=well, kind=ChangeKind.FACTS).order_by("pk").values_list("changes", flat=True)
        )
        assert [sorted(changes) for changes in kinds] == [["deadline"], ["responsible_person"]]


def test_a_bad_deadline_is_refused_on_the_form_and_changes_nothing(client, demo):
    client.force_login(demo["staff"])
    response = client.post("/wells/bulk/deadline/", {"wells": ["CJ-ZSL-05"], "apply": "yes", "deadline": "明天"})
    assert response.status_code == 400
    assert 'data-testid="refusal"' in response.content.decode()
    assert str(Well.objects.get(code="CJ-ZSL-05").deadline) == "2023-11-30"


def test_an_unknown_bulk_action_is_not_found(client, demo):
    client.force_login(demo["staff"])
    assert client.post("/wells/bulk/demolish/", {"wells": ["CJ-ZSL-05"]}).status_code == 404
