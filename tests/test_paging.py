"""Pages of lists that may hold a million rows (wellclosure.paging): they
count at most past the cap, reach the first rows only, and say so; the
ledger takes its exact total from the well tally when it can, and never
counts the wells then."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import WellFactory
from wellclosure import paging
from wellclosure.paging import BoundedPaginator
from wells.models import Well

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def cap_of_five(monkeypatch):
    monkeypatch.setattr(BoundedPaginator, "cap", 5)


def test_a_long_list_is_counted_past_the_cap_and_paged_to_it(zhongshan, campaign, cap_of_five):
    WellFactory.create_batch(12, township=zhongshan, campaign=campaign)

    paginator = BoundedPaginator(Well.objects.order_by("code"), 2)

    assert (paginator.count, paginator.exact, paginator.truncated, paginator.num_pages) == (6, False, True, 3)
    assert paginator.get_page(99).number == 3  # no OFFSET past the cap
    assert len(paginator.get_page(3).object_list) == 2


def test_a_known_total_is_exact_and_still_paged_to_the_cap(zhongshan, campaign, cap_of_five):
    WellFactory.create_batch(12, township=zhongshan, campaign=campaign)

    paginator = BoundedPaginator(Well.objects.order_by("code"), 2, total=12)

    assert (paginator.count, paginator.exact, paginator.truncated, paginator.num_pages) == (12, True, True, 3)


def test_a_short_list_is_counted_exactly(zhongshan, campaign):
    WellFactory.create_batch(3, township=zhongshan, campaign=campaign)

    paginator = BoundedPaginator(Well.objects.order_by("code"), 2)

    assert (paginator.count, paginator.exact, paginator.truncated, paginator.num_pages) == (3, True, False, 2)
    assert paging.CAP == 10_000


def test_a_chain_pages_its_querysets_one_after_another_each_read_where_a_page_spans_it(zhongshan, campaign):
    wells = WellFactory.create_batch(7, township=zhongshan, campaign=campaign)
    first = Well.objects.filter(pk__in=[well.pk for well in wells[:3]]).order_by("-code")
    second = Well.objects.exclude(pk__in=[well.pk for well in wells[:3]]).order_by("code")
    expected = [*first.all(), *second.all()]

    chain = paging.Chain(first, second, limit=6)
    paginator = BoundedPaginator(chain, 2, cap=5)

    assert chain.counts(6) == [3, 3]  # the second counted only up to the limit
    assert (paginator.count, paginator.truncated, paginator.num_pages) == (6, True, 3)
    assert [list(paginator.page(n).object_list) for n in (1, 2, 3)] == [expected[0:2], expected[2:4], expected[4:6]]
    with CaptureQueriesContext(connection) as queries:
        assert chain[1:2] == expected[1:2]  # within the first: the second is not read
        assert chain[3:5] == expected[3:5]  # within the second
    assert len(queries) == 2
    assert paging.Chain(first.none(), second, limit=6)[0:3] == expected[3:6]
    assert paging.count_up_to(paging.Chain(first, second), 4) == 4


def test_the_ledger_counts_from_the_tally_not_the_wells(client, staff, zhongshan, campaign):
    WellFactory.create_batch(7, township=zhongshan, campaign=campaign)
    client.force_login(staff)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("wells:ledger"), {"campaign": campaign.pk}).content.decode()

    assert 'data-testid="ledger-count">7<' in page
    counted_wells = [
        q["sql"] for q in queries if "COUNT(" in q["sql"] and '"wells_well"' in q["sql"].split("FROM", 1)[1][:40]
    ]
    assert counted_wells == []


def test_an_officers_own_wells_are_counted_from_the_tally_not_the_wells(client, officer, zhongshan, campaign):
    WellFactory.create_batch(7, township=zhongshan, campaign=campaign, responsible_unit=officer.unit)
    client.force_login(officer)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("wells:mine"))

    assert response.status_code == 200 and response.context["page"].paginator.count == 7
    assert response.context["page"].paginator.exact
    counted_wells = [
        q["sql"] for q in queries if "COUNT(" in q["sql"] and '"wells_well"' in q["sql"].split("FROM", 1)[1][:40]
    ]
    assert counted_wells == []


def test_a_search_past_the_cap_says_more_than_and_where_the_pages_stop(client, staff, zhongshan, campaign, cap_of_five):
    WellFactory.create_batch(8, township=zhongshan, campaign=campaign, village="东村")
    client.force_login(staff)

    page = client.get(reverse("wells:ledger"), {"q": "东村"}).content.decode()

    assert 'More than <strong data-testid="ledger-count">5</strong> wells' in page
    assert 'data-testid="pages-truncated"' in page
