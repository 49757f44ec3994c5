"""The admin's pages stay the size of what a person reads, however big the
ledger: the inspection form searches for its well instead of listing every
well in a <select>, and a well's page shows its latest events with a link
to the rest."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import WellFactory
from wells.admin import WellEventInline
from wells.choices import Action, Status
from wells.models import WellEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def autocomplete(client, term):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "wells", "model_name": "inspection", "field_name": "well", "term": term},
    )
    assert response.status_code == 200, response.content
    return {item["text"].split()[0] for item in response.json()["results"]}


def test_the_inspection_form_searches_for_its_well(client, officer, zhongshan, ningbian, campaign):
    own = WellFactory.create_batch(30, township=zhongshan, campaign=campaign)
    theirs = WellFactory(township=ningbian, campaign=campaign)
    client.force_login(officer)

    page = client.get(reverse("admin:wells_inspection_add")).content.decode()

    assert not any(well.code in page for well in own)  # no option per well
    assert "admin-autocomplete" in page
    found = autocomplete(client, "")
    assert {well.code for well in own} >= found and theirs.code not in found
    assert autocomplete(client, own[7].code) == {own[7].code}
    assert autocomplete(client, theirs.code) == set()


def test_a_well_page_shows_its_latest_events_and_links_to_all(client, staff, well, django_assert_max_num_queries):
    start = timezone.now() - datetime.timedelta(days=100)
    WellEvent.objects.bulk_create(
        WellEvent(
            well=well,
            action=Action.NOTIFY,
            from_status=Status.INVENTORIED,
            to_status=Status.NOTIFIED,
            actor_name="张三",
            note=f"第{n}次",
            created_at=start + datetime.timedelta(hours=n),
        )
        for n in range(WellEventInline.SHOWN + 25)
    )
    client.force_login(staff)

    response = client.get(reverse("admin:wells_well_change", args=[well.pk]))

    page = response.content.decode()
    shown = [n for n in range(WellEventInline.SHOWN + 25) if f"第{n}次" in page]
    assert shown == list(range(25, WellEventInline.SHOWN + 25))  # the latest 50
    assert f"The latest {WellEventInline.SHOWN} of {WellEventInline.SHOWN + 25} events" in page
    link = reverse("admin:wells_wellevent_changelist") + f"?well__exact={well.pk}"
    assert link in page
    listed = client.get(link)
    assert listed.status_code == 200
    assert {event.well_id for event in listed.context["cl"].result_list} == {well.pk}


def test_a_well_with_few_events_links_to_them(client, staff, well):
    client.force_login(staff)

    page = client.get(reverse("admin:wells_well_change", args=[well.pk])).content.decode()

    assert "0 events" in page


def test_a_long_list_is_counted_up_to_the_cap_and_says_so(client, staff, well, monkeypatch):
    from wells.admin import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 30)
    WellEvent.objects.bulk_create(
        WellEvent(well=well, action=Action.NOTIFY, from_status=Status.INVENTORIED, to_status=Status.NOTIFIED)
        for _ in range(45)
    )
    client.force_login(staff)

    response = client.get(reverse("admin:wells_wellevent_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 30
    assert "More than 30 well events" in response.content.decode()


def test_the_task_list_is_counted_up_to_the_cap_too(client, staff, well, monkeypatch):
    from tasks.choices import Step, TaskStatus
    from tasks.models import Task
    from wells.admin import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 3)
    Task.objects.bulk_create(
        Task(well=well, unit=well.responsible_unit, step=Step.NOTIFY, status=TaskStatus.DONE) for _ in range(5)
    )
    client.force_login(staff)

    response = client.get(reverse("admin:tasks_task_changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    assert "More than 3" in response.content.decode()


def test_a_short_list_shows_its_count(client, staff, well):
    WellEvent.objects.bulk_create(
        WellEvent(well=well, action=Action.NOTIFY, from_status=Status.INVENTORIED, to_status=Status.NOTIFIED)
        for _ in range(3)
    )
    client.force_login(staff)

    page = client.get(reverse("admin:wells_wellevent_changelist")).content.decode()

    assert "3 well events" in page and "More than" not in page


def test_the_event_list_filters_by_date_without_reading_every_event(client, staff, well):
    client.force_login(staff)

    page = client.get(reverse("admin:wells_wellevent_changelist"))
    changelist = page.context["cl"]
    (dates,) = [
        spec for spec in changelist.filter_specs if spec.title == WellEvent._meta.get_field("created_at").verbose_name
    ]
    links = [choice["query_string"] for choice in dates.choices(changelist)]

    assert len(links) == 5  # any date, today, the past 7 days, this month, this year
    for link in links:
        assert client.get(reverse("admin:wells_wellevent_changelist") + link).status_code == 200


def test_the_well_lists_filters_offer_what_the_user_reads_without_reading_every_well(client, staff, well, other_well):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import CampaignFactory

    later = CampaignFactory(name="第二批关停")  # read by the staff, no well yet: offered as the ledger's filter does
    client.force_login(staff)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:wells_well_changelist"))

    assert response.status_code == 200
    specs = {getattr(spec, "field_path", spec.title): spec for spec in response.context["cl"].filter_specs}
    assert {name for _pk, name in specs["campaign"].lookup_choices} == {well.campaign.name, later.name}
    units = {name for _pk, name in specs["responsible_unit"].lookup_choices}
    assert {well.responsible_unit.name, other_well.responsible_unit.name} <= units
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"] and '"wells_well"' in q["sql"]]
