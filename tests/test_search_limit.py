"""One person runs at most SEARCHES_AT_ONCE searches at once, across every web worker:
past it, a clear 429 page, so that a flood of searches cannot slow everyone's pages."""

import pytest
from django.core.cache import cache

from dashboard.caching.counters import count_up
from dashboard.caching.freshness import cache_key
from dashboard.search_limit import SEARCHES_AT_ONCE
from tests.conftest import BAKERY


def already_running(user, searches: int) -> str:
    """`searches` of the user's searches running elsewhere (another tab, another worker)."""
    key = cache_key("searches-running", str(user.pk))
    for _ in range(searches):
        count_up(key, timeout=60)
    return key


@pytest.mark.parametrize(
    "path,query",
    [
        ("/", {"q": "garica"}),
        (f"/end-users/{BAKERY}/customers/", {"q": "smith"}),
        (f"/end-users/{BAKERY}/jump/", {"to": "x"}),
    ],
)
def test_past_the_bound_a_search_waits_for_the_others(support_client, support_user, company, fake, path, query):
    key = already_running(support_user, SEARCHES_AT_ONCE)
    refused = support_client.get(path, query)
    assert refused.status_code == 429 and refused["Retry-After"] == "2"
    assert "Several searches are already running" in refused.content.decode()
    assert fake.stats == {} and cache.get(key) == SEARCHES_AT_ONCE  # nothing run, nothing left counted
    cache.decr(key)  # one of them answered
    assert support_client.get(path, query).status_code in (200, 302, 404)
    assert cache.get(key) == SEARCHES_AT_ONCE - 1


def test_other_people_and_plain_pages_are_not_bounded(support_client, support_user, admin_client, company, fake):
    already_running(support_user, SEARCHES_AT_ONCE)
    assert admin_client.get("/", {"q": "garica"}).status_code in (200, 302)  # another person
    assert support_client.get("/").status_code == 200  # no search on it
    assert support_client.get(f"/end-users/{BAKERY}/customers/").status_code == 200  # browsing by name


def test_a_long_typo_search_looks_for_a_bounded_number_of_trigrams(company):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard.customer_index import search
    from dashboard.customer_index.search import MAX_TYPO_TRIGRAMS
    from dashboard.search_criteria import Status

    long_text = "Wolfeschlegelsteinhausen Bergerdorffvoralternwaren Gewissenhaftschaferswessen"
    with CaptureQueriesContext(connection) as queries:
        search.search([company], long_text, status=Status.ALL)
    if connection.vendor == "sqlite":
        [typo] = [q["sql"] for q in queries.captured_queries if "ORDER BY rank" in q["sql"]]
        assert typo.count("search_text : ") == MAX_TYPO_TRIGRAMS
    else:
        [typo] = [q["sql"] for q in queries.captured_queries if "<%" in q["sql"]]
        typed = typo.split("<%")[0].rsplit("'", 2)[1]
        assert 0 < len(typed) <= MAX_TYPO_TRIGRAMS + 2
