"""GET /api/v1/wells/: scope, every filter of DESIGN §5, ordering, keyset
pagination and a query count that does not grow with the page."""

import base64
import datetime
import json

import pytest

from tests.api.helpers import url
from tests.factories import CampaignFactory, TownshipFactory, WellFactory
from wells.api.serializers import CONTRACT_FIELDS
from wells.choices import Category, Status, Use


def codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


# Scope -------------------------------------------------------------------


def test_staff_and_leader_see_every_well(api, staff, leader, well, other_well):
    assert codes(api(staff).get(url("well-list"))) == [well.code, other_well.code]
    assert codes(api(leader).get(url("well-list"))) == [well.code, other_well.code]


def test_an_officer_sees_only_the_wells_of_their_unit(api, officer, well, other_well):
    assert codes(api(officer).get(url("well-list"))) == [well.code]


def test_a_member_unit_without_tasks_sees_no_well(api, member, well, other_well):
    response = api(member).get(url("well-list"))

    assert codes(response) == []
    assert response.json()["count"] == 0


def test_a_well_in_the_list_has_exactly_the_contract_fields(api, staff, well):
    row = api(staff).get(url("well-list")).json()["results"][0]

    assert list(row) == CONTRACT_FIELDS
    assert row["township"] == "zhongshanlu"
    assert row["township_name"] == "中山路街道"
    assert row["responsible_unit"] == well.responsible_unit_id
    assert row["responsible_unit_name"] == "中山路街道办事处"
    assert row["uses"] == ["irrigation"]
    assert row["lat"] == 44.01
    assert row["lng"] == 87.3
    assert row["depth_m"] == 80.0
    assert row["campaign"] == well.campaign_id
    assert row["status"] == "inventoried"
    assert row["version"] == 1
    assert row["enforced"] is False
    assert row["overdue"] is False


# Filters (one test each) -------------------------------------------------


def test_filter_by_campaign(api, staff, well, zhongshan):
    other_campaign = CampaignFactory(name="另一行动")
    WellFactory(township=zhongshan, campaign=other_campaign)

    assert codes(api(staff).get(url("well-list"), {"campaign": well.campaign_id})) == [well.code]


def test_filter_by_township_code(api, staff, well, other_well):
    assert codes(api(staff).get(url("well-list"), {"township": "ningbianlu"})) == [other_well.code]


def test_filter_by_responsible_unit(api, staff, well, other_well):
    response = api(staff).get(url("well-list"), {"unit": other_well.responsible_unit_id})

    assert codes(response) == [other_well.code]


def test_filter_by_status_takes_several_statuses(api, staff, zhongshan, campaign):
    notified = WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED)
    sealed = WellFactory(township=zhongshan, campaign=campaign, status=Status.SEALED)
    WellFactory(township=zhongshan, campaign=campaign, status=Status.INVENTORIED)

    response = api(staff).get(url("well-list") + "?status=notified&status=sealed")

    assert codes(response) == [notified.code, sealed.code]


def test_filter_by_category(api, staff, zhongshan, campaign):
    licensed = WellFactory(township=zhongshan, campaign=campaign, category=Category.LICENSED, license_no="L1")
    WellFactory(township=zhongshan, campaign=campaign, category=Category.UNLICENSED)

    assert codes(api(staff).get(url("well-list"), {"category": "licensed"})) == [licensed.code]


def test_filter_by_use_finds_mixed_use_wells(api, staff, zhongshan, campaign):
    mixed = WellFactory(township=zhongshan, campaign=campaign, uses=[Use.DOMESTIC, Use.IRRIGATION])
    domestic = WellFactory(township=zhongshan, campaign=campaign, uses=[Use.DOMESTIC])
    WellFactory(township=zhongshan, campaign=campaign, uses=[Use.GREENING])

    assert codes(api(staff).get(url("well-list"), {"use": "domestic"})) == [mixed.code, domestic.code]
    assert codes(api(staff).get(url("well-list"), {"use": "irrigation"})) == [mixed.code]


def test_filter_overdue_true_finds_wells_past_their_deadline_and_not_settled(api, staff, zhongshan, campaign):
    past = datetime.date(2023, 6, 1)
    late = WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.NOTIFIED)
    WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.ACCEPTED)
    WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.RETAINED)
    WellFactory(township=zhongshan, campaign=campaign, deadline=datetime.date(2023, 7, 1))
    WellFactory(township=zhongshan, campaign=campaign, deadline=None)

    response = api(staff).get(url("well-list"), {"overdue": "true"})

    assert codes(response) == [late.code]
    assert response.json()["results"][0]["overdue"] is True


def test_filter_overdue_false_finds_all_the_others(api, staff, zhongshan, campaign):
    past = datetime.date(2023, 6, 1)
    WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.NOTIFIED)
    accepted = WellFactory(township=zhongshan, campaign=campaign, deadline=past, status=Status.ACCEPTED)
    without_deadline = WellFactory(township=zhongshan, campaign=campaign, deadline=None)

    assert codes(api(staff).get(url("well-list"), {"overdue": "false"})) == [accepted.code, without_deadline.code]


def test_filter_deadline_before_includes_the_day(api, staff, zhongshan, campaign):
    june = WellFactory(township=zhongshan, campaign=campaign, deadline=datetime.date(2023, 6, 30))
    WellFactory(township=zhongshan, campaign=campaign, deadline=datetime.date(2023, 7, 1))

    assert codes(api(staff).get(url("well-list"), {"deadline_before": "2023-06-30"})) == [june.code]


def test_filter_deadline_after_includes_the_day(api, staff, zhongshan, campaign):
    WellFactory(township=zhongshan, campaign=campaign, deadline=datetime.date(2023, 6, 30))
    july = WellFactory(township=zhongshan, campaign=campaign, deadline=datetime.date(2023, 7, 1))

    assert codes(api(staff).get(url("well-list"), {"deadline_after": "2023-07-01"})) == [july.code]


@pytest.mark.parametrize(
    "term",
    ["CJ-0007", "cj-0007", "王家", "庄子村"],
    ids=["code", "code-any-case", "owner", "village"],
)
def test_filter_q_searches_code_owner_and_village(api, staff, zhongshan, campaign, term):
    found = WellFactory(
        code="CJ-0007", owner_name="王家养殖场", village="庄子村", township=zhongshan, campaign=campaign
    )
    WellFactory(code="CJ-0008", owner_name="李四", village="一村", township=zhongshan, campaign=campaign)

    assert codes(api(staff).get(url("well-list"), {"q": term})) == [found.code]


def test_filters_combine(api, staff, zhongshan, ningbian, campaign):
    target = WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED, uses=[Use.DOMESTIC])
    WellFactory(township=ningbian, campaign=campaign, status=Status.NOTIFIED, uses=[Use.DOMESTIC])
    WellFactory(township=zhongshan, campaign=campaign, status=Status.NOTIFIED, uses=[Use.GREENING])

    response = api(staff).get(url("well-list"), {"township": "zhongshanlu", "status": "notified", "use": "domestic"})

    assert codes(response) == [target.code]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "foo"}, "status"),
        ({"campaign": "abc"}, "campaign"),
        ({"campaign": "99999999999999999999999"}, "campaign"),
        ({"township": "nowhere"}, "township"),
        ({"township": "zhong\x00shanlu"}, "township"),
        ({"unit": "1.5"}, "unit"),
        ({"category": "closed"}, "category"),
        ({"use": "drinking"}, "use"),
        ({"overdue": "maybe"}, "overdue"),
        ({"deadline_before": "notadate"}, "deadline_before"),
        ({"deadline_after": "2023-02-30"}, "deadline_after"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "x" * 10_000}, "q"),
        ({"ordering": "owner_name"}, "ordering"),
        ({"page_size": "0"}, "page_size"),
        ({"page_size": "many"}, "page_size"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_bad_filter_value_is_400_naming_the_field(api, staff, well, params, field):
    response = api(staff).get(url("well-list"), params)

    assert response.status_code == 400
    assert list(response.json()) == [field]


# Ordering and pagination ---------------------------------------------------


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("code", ["A", "B", "C"]),
        ("-code", ["C", "B", "A"]),
        ("deadline", ["B", "C", "A"]),
        ("-deadline", ["A", "C", "B"]),
    ],
)
def test_ordering(api, staff, zhongshan, campaign, ordering, expected):
    WellFactory(code="A", deadline=None, township=zhongshan, campaign=campaign)
    WellFactory(code="B", deadline=datetime.date(2023, 5, 1), township=zhongshan, campaign=campaign)
    WellFactory(code="C", deadline=datetime.date(2023, 9, 1), township=zhongshan, campaign=campaign)

    assert codes(api(staff).get(url("well-list"), {"ordering": ordering})) == expected


def test_ordering_by_last_change_puts_the_newest_first(api, staff, zhongshan, campaign, clock):
    old = WellFactory(township=zhongshan, campaign=campaign)
    clock.shift(datetime.timedelta(minutes=5))
    new = WellFactory(township=zhongshan, campaign=campaign)

    assert codes(api(staff).get(url("well-list"), {"ordering": "-updated_at"})) == [new.code, old.code]
    assert codes(api(staff).get(url("well-list"), {"ordering": "updated_at"})) == [old.code, new.code]


def walk(client, first_url):
    """Every page from ``first_url`` forwards, then back again; the codes
    seen each way."""
    forwards, pages, link = [], [], first_url
    while link:
        body = client.get(link).json()
        pages.append(body)
        forwards.extend(row["code"] for row in body["results"])
        link = body["next"]
    backwards, link = [], pages[-1]["previous"]
    while link:
        body = client.get(link).json()
        backwards[:0] = [row["code"] for row in body["results"]]
        link = body["previous"]
    return forwards, backwards + [row["code"] for row in pages[-1]["results"]]


@pytest.mark.parametrize("ordering", ["deadline", "-deadline", "code", "-updated_at"])
def test_pages_walk_every_well_once_in_order_both_ways(api, staff, zhongshan, campaign, ordering):
    # Shared deadlines and missing ones: the keyset must break ties by id
    # and keep the wells without a deadline.
    deadlines = [datetime.date(2023, 6, 30), None, datetime.date(2023, 5, 1)]
    for n in range(11):
        WellFactory(code=f"W{n:02d}", deadline=deadlines[n % 3], township=zhongshan, campaign=campaign)
    everything = codes(api(staff).get(url("well-list"), {"ordering": ordering, "page_size": 500}))

    forwards, backwards = walk(api(staff), url("well-list") + f"?ordering={ordering}&page_size=3")

    assert len(everything) == 11
    assert forwards == everything
    assert backwards == everything


def test_the_first_page_has_no_previous_and_the_last_no_next(api, staff, zhongshan, campaign):
    WellFactory.create_batch(3, township=zhongshan, campaign=campaign)

    first = api(staff).get(url("well-list"), {"page_size": 2}).json()
    last = api(staff).get(first["next"]).json()

    assert first["previous"] is None
    assert first["next"] is not None
    assert last["next"] is None
    assert len(last["results"]) == 1


def test_a_page_link_keeps_the_filters(api, staff, zhongshan, ningbian, campaign):
    WellFactory.create_batch(3, township=zhongshan, campaign=campaign)
    WellFactory.create_batch(3, township=ningbian, campaign=campaign)

    first = api(staff).get(url("well-list"), {"page_size": 2, "township": "ningbianlu"}).json()
    second = api(staff).get(first["next"]).json()

    assert "township=ningbianlu" in first["next"]
    assert {row["township"] for row in first["results"] + second["results"]} == {"ningbianlu"}
    assert len(first["results"] + second["results"]) == 3


def test_a_page_link_of_another_ordering_is_refused(api, staff, zhongshan, campaign):
    WellFactory.create_batch(3, township=zhongshan, campaign=campaign)
    next_link = api(staff).get(url("well-list"), {"page_size": 2, "ordering": "code"}).json()["next"]

    response = api(staff).get(next_link.replace("ordering=code", "ordering=deadline"))

    assert response.status_code == 400
    assert response.json() == {"cursor": ["This page link is not valid (any more)."]}


@pytest.mark.parametrize(
    "cursor",
    [
        {"o": "code", "v": "A\x00", "k": 1, "b": False},
        {"o": "code", "v": "A", "k": 10**30, "b": False},
        {"o": "code", "v": ["A"], "k": 1, "b": False},
        {"o": "deadline", "v": "2023-02-30", "k": 1, "b": False},
        ["code", "A", 1],
    ],
    ids=["nul", "huge-key", "list-value", "bad-date", "not-an-object"],
)
def test_a_forged_page_link_is_400_not_a_crash(api, staff, well, cursor):
    ordering = cursor["o"] if isinstance(cursor, dict) else "code"
    encoded = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()

    response = api(staff).get(url("well-list"), {"ordering": ordering, "cursor": encoded})

    assert response.status_code == 400
    assert list(response.json()) == ["cursor"]


@pytest.mark.parametrize("page_size", [4, 50])
def test_a_page_that_holds_the_whole_list_counts_it(api, staff, zhongshan, campaign, page_size):
    WellFactory.create_batch(4, township=zhongshan, campaign=campaign)

    body = api(staff).get(url("well-list"), {"page_size": page_size}).json()

    assert body["count"] == 4
    assert body["next"] is None


def test_an_empty_list_counts_none(api, staff, well):
    body = api(staff).get(url("well-list"), {"status": "sealed"}).json()

    assert body == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_list_longer_than_the_page_has_no_count_on_any_page(api, staff, zhongshan, campaign):
    WellFactory.create_batch(5, township=zhongshan, campaign=campaign)
    client = api(staff)

    first = client.get(url("well-list"), {"page_size": 4}).json()
    last = client.get(first["next"]).json()
    back = client.get(last["previous"]).json()

    assert [list(body) for body in (first, last, back)] == [["next", "previous", "results"]] * 3
    assert len(back["results"]) == 4


@pytest.mark.parametrize("wells", [5, 50])
def test_the_list_costs_the_same_queries_for_5_and_50_wells(
    api, staff, zhongshan, campaign, wells, django_assert_max_num_queries
):
    WellFactory.create_batch(wells, township=zhongshan, campaign=campaign)
    client = api(staff)

    # The token with its user and role groups, then the page with its
    # township and unit joined (the count, when given, is the page's).
    with django_assert_max_num_queries(2):
        response = client.get(url("well-list"), {"page_size": 50})

    assert len(response.json()["results"]) == wells


@pytest.mark.parametrize("wells", [5, 50])
def test_the_list_of_an_officer_costs_the_same_queries(
    api, officer, zhongshan, campaign, wells, django_assert_max_num_queries
):
    WellFactory.create_batch(wells, township=zhongshan, campaign=campaign)
    WellFactory.create_batch(wells, township=TownshipFactory(), campaign=campaign)
    client = api(officer)

    with django_assert_max_num_queries(2):
        response = client.get(url("well-list"), {"page_size": 50, "status": ["inventoried", "notified"]})

    assert len(response.json()["results"]) == wells


@pytest.mark.parametrize("wells", [5, 50])
def test_a_later_page_costs_the_same_queries(api, staff, zhongshan, campaign, wells, django_assert_max_num_queries):
    # One well before the page and one after it: the page is full, so the
    # wells without a deadline (a second query when a page reaches them)
    # are not asked for.
    WellFactory.create_batch(wells + 2, township=zhongshan, campaign=campaign)
    client = api(staff)
    second = client.get(url("well-list"), {"page_size": 1, "ordering": "deadline"}).json()["next"]

    with django_assert_max_num_queries(2):
        response = client.get(second.replace("page_size=1", f"page_size={wells}"))

    assert len(response.json()["results"]) == wells
    assert response.json()["next"] is not None
