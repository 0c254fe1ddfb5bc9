import re
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User

from dashboard.conductor import client as conductor_client
from dashboard.lookups import search
from dashboard.models import RecentView
from fake_conductor.server import ALL_COMPANIES, Fault
from tests.conftest import BAKERY, DENTAL_OFFLINE, EXAMPLE_ID, make_company, wait_for

SEARCH = f"/end-users/{BAKERY}/customers/"
LIST_CALLS = "GET /quickbooks-desktop/customers"
RETRIEVES_OF_EXAMPLE = f"GET customer {EXAMPLE_ID}"


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def linked_ids(response) -> list[str]:
    # A result's link also names the list it is in (?in=…&n=…: previous and next there).
    return re.findall(
        rf'href="/end-users/{BAKERY}/customers/([0-9A-F]+-[0-9]+)/(?:\?[^"]*)?"', response.content.decode()
    )


def next_link(response) -> str | None:
    match = re.search(r'href="([^"]+)"[^>]*rel="next"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def all_customers(fake, **where):
    return [c for c in fake.state.companies[BAKERY].customers if all(c[k] == v for k, v in where.items())]


@pytest.fixture
def small_pages(monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 7)


# --- searching one company ---------------------------------------------------------


def test_browsing_pages_through_every_active_customer_without_gaps_or_repeats(
    support_client, company, fake, small_pages
):
    seen, pages = [], 0
    url: str | None = SEARCH
    while url:
        response = support_client.get(url)
        assert response.status_code == 200
        seen += linked_ids(response)
        url = next_link(response)
        pages += 1
        assert "cursor" not in (url or "")
    expected = sorted(all_customers(fake, isActive=True), key=lambda c: c["fullName"].casefold())
    assert seen == [c["id"] for c in expected]
    assert pages >= 5


def test_a_text_search_pages_through_every_match_in_name_order(support_client, company, fake, small_pages):
    seen = []
    url: str | None = SEARCH + "?q=e&status=all"
    while url:
        response = support_client.get(url)
        seen += linked_ids(response)
        url = next_link(response)
    expected = sorted(
        (c for c in all_customers(fake) if "e" in c["name"].lower()), key=lambda c: c["fullName"].casefold()
    )
    assert seen == [c["id"] for c in expected] and len(seen) > 14


def test_next_page_links_carry_only_our_position(support_client, company, fake, small_pages):
    link = next_link(support_client.get(SEARCH + "?q=a&match=contains&status=all&balance=open"))
    assert link is not None
    params = parse_qs(urlsplit(link).query)
    assert set(params) == {"q", "match", "status", "balance", "after"}
    assert params["balance"] == ["open"]


def test_it_says_how_many_remain(support_client, company, fake, small_pages):
    body = text_of(support_client.get(SEARCH + "?status=all"))
    total = len(all_customers(fake))
    assert f"{total - 7} more after this page" in body


@pytest.mark.parametrize(
    "params,predicate",
    [
        ({"q": "corp", "match": "contains"}, lambda c: "corp" in c["name"].lower() and c["isActive"]),
        ({"q": "cedar", "match": "starts"}, lambda c: c["name"].lower().startswith("cedar") and c["isActive"]),
        ({"q": "project", "match": "ends", "status": "all"}, lambda c: c["name"].lower().endswith("project")),
        ({"status": "inactive"}, lambda c: not c["isActive"]),
        ({"status": "all", "balance": "open"}, lambda c: float(c["totalBalance"]) > 0),
        ({"status": "all", "balance": "min", "min_balance": "1000"}, lambda c: float(c["totalBalance"]) >= 1000),
    ],
)
def test_each_filter_narrows_the_results(support_client, company, fake, params, predicate):
    response = support_client.get(SEARCH, params)
    assert response.status_code == 200
    expected = {c["id"] for c in all_customers(fake) if predicate(c)}
    assert expected and set(linked_ids(response)) == expected


def test_list_requests_leave_out_alternate_addresses(support_client, company, fake, monkeypatch):
    sent = []
    original = conductor_client.list_customers
    monkeypatch.setattr(
        conductor_client, "list_customers", lambda *a, **k: sent.append(a[2].params()) or original(*a, **k)
    )
    support_client.get(SEARCH + "?q=a")
    assert ("excludeAlternateShippingAddresses", "true") in sent[0]


def test_no_matches_is_a_clear_empty_page(support_client, company, fake):
    response = support_client.get(SEARCH + "?q=zzzzzz")
    assert response.status_code == 200 and "No customers match" in text_of(response)


@pytest.mark.parametrize(
    "params",
    [
        {"status": "deleted"},
        {"match": "regex"},
        {"q": "x" * 101},
    ],
)
def test_bad_search_input_is_a_400_with_the_form(support_client, company, fake, params):
    response = support_client.get(SEARCH, params)
    assert response.status_code == 400 and 'role="search"' in response.content.decode()
    assert fake.stats == {}


@pytest.mark.parametrize(
    "params,message",
    [
        ({"balance": "min"}, "Enter the minimum total balance."),
        (
            {"balance": "min", "min_balance": "lots"},
            "Enter the minimum balance as an amount, like 250, $5,000 or 1,200.50.",
        ),
        ({"balance": "min", "min_balance": "12.345"}, "Enter the minimum balance with at most two decimals (cents)."),
    ],
)
def test_a_mistaken_balance_filter_is_marked_beside_its_field_and_the_results_stay(
    support_client, company, fake, params, message
):
    response = support_client.get(SEARCH, {"q": "a", **params})
    html = response.content.decode()
    assert response.status_code == 400
    # one message, in words, tied to the field it is about
    assert html.count('class="field-error"') == 1 and message in html
    assert "Min_balance" not in html
    box = re.search(r'<input[^>]*name="min_balance"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in box and 'aria-describedby="id_min_balance_error"' in box
    assert 'id="id_min_balance_error"' in html
    # the search ran without the mistaken filter: its results are on the page
    assert linked_ids(response) and fake.stats


def test_a_filter_conductor_rejects_gets_a_clear_page(support_client, company, fake):
    fake.faults.add(Fault(path="/quickbooks-desktop/customers", error="invalid_request"))
    response = support_client.get(SEARCH + "?q=a")
    assert response.status_code == 400 and "Conductor could not run this request" in text_of(response)


def test_an_offline_company_search_gets_the_offline_page(support_client, api_key, fake):
    make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    response = support_client.get(f"/end-users/{DENTAL_OFFLINE}/customers/")
    assert response.status_code == 503 and "QuickBooks is unreachable" in text_of(response)


def test_hostile_names_in_results_are_escaped(support_client, company, fake):
    customers = fake.state.companies[BAKERY].customers
    original = customers[2]
    customers[2] = {
        **original,
        "name": "<script>alert(1)</script>",
        "fullName": "<script>alert(1)</script>",
        "companyName": "<b>x</b>",
        "email": "<img src=x onerror=alert(2)>",
        "isActive": True,
    }
    try:
        body = support_client.get(SEARCH + "?q=script").content.decode()
    finally:
        customers[2] = original
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "<img src=x" not in body and "<b>x</b>" not in body


# --- the job tree ------------------------------------------------------------------


def account_parts(client, customer_url):
    """The customer page's jobs and activity, as the page's script asks for them."""
    return client.get(customer_url + "account/", HTTP_X_FRAGMENT="1")


def deepest(fake):
    return next(c for c in fake.state.companies[BAKERY].customers if c["sublevel"] == 2)


def test_the_breadcrumb_links_every_ancestor_with_one_lookup(support_client, company, fake):
    job = deepest(fake)
    top, middle = job["fullName"].split(":")[:2]
    by_full_name = {c["fullName"]: c["id"] for c in fake.state.companies[BAKERY].customers}
    fake.reset()
    page = f"/end-users/{BAKERY}/customers/{job['id']}/"
    first = support_client.get(page).content.decode()
    # The record alone links the parent (its id comes with it); the grandparent's link
    # needs the tree, fetched when the page's script asks for the jobs, and shown from then on.
    assert f'href="/end-users/{BAKERY}/customers/{by_full_name[top + ":" + middle]}/">{middle}</a>' in first
    account_parts(support_client, page)
    body = support_client.get(page).content.decode()
    assert f'href="/end-users/{BAKERY}/customers/{by_full_name[top]}/">{top}</a>' in body
    assert f'href="/end-users/{BAKERY}/customers/{by_full_name[top + ":" + middle]}/">{middle}</a>' in body
    # one retrieve, one list for the jobs, and at most one lookup for the ancestors
    assert fake.stats[LIST_CALLS] <= 2


def test_the_jobs_section_lists_direct_sub_customers(support_client, company, fake):
    parent = next(
        c
        for c in fake.state.companies[BAKERY].customers
        if any(
            d["sublevel"] == 2 and d["fullName"].startswith(c["fullName"] + ":")
            for d in fake.state.companies[BAKERY].customers
        )
        and c["sublevel"] == 0
    )
    response = account_parts(support_client, f"/end-users/{BAKERY}/customers/{parent['id']}/")
    jobs_html = response.content.decode().split('id="h-jobs"')[1].split("</section>")[0]
    expected = {
        c["id"]
        for c in fake.state.companies[BAKERY].customers
        if c["sublevel"] == 1 and c["fullName"].startswith(parent["fullName"] + ":")
    }
    found = set(re.findall(rf"/end-users/{BAKERY}/customers/([0-9A-F]+-[0-9]+)/", jobs_html))
    assert expected and found == expected


def test_a_customer_without_jobs_says_so(support_client, company, fake):
    body = text_of(account_parts(support_client, f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"))
    assert "No jobs under this job" in body


def test_the_page_survives_a_failing_job_lookup(support_client, company, fake):
    fake.faults.add(Fault(path="/quickbooks-desktop/customers", error="qbd_timeout"))
    page = f"/end-users/{BAKERY}/customers/{deepest(fake)['id']}/"
    assert support_client.get(page).status_code == 200
    assert "Jobs could not be loaded" in text_of(account_parts(support_client, page))


# --- jump ----------------------------------------------------------------------------


def test_jump_by_id(support_client, company, fake):
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": f"  {EXAMPLE_ID} "})
    assert response.status_code == 302 and response["Location"] == f"{SEARCH}{EXAMPLE_ID}/"
    assert fake.stats == {}


def test_jump_by_exact_full_name(support_client, company, fake):
    job = deepest(fake)
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": job["fullName"].upper()})
    assert response.status_code == 302 and response["Location"] == f"{SEARCH}{job['id']}/"


def test_jump_to_nothing_is_404_with_the_search_prefilled(support_client, company, fake):
    response = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "Nobody Inc:<Kitchen>"})
    assert response.status_code == 404
    body = response.content.decode()
    assert 'name="q" value="&lt;Kitchen&gt;"' in body and "No customer or invoice by that name or number" in body


def test_every_company_page_has_the_jump_box(support_client, company, fake):
    for url in (SEARCH, f"{SEARCH}{EXAMPLE_ID}/", f"{SEARCH}80000001-9/"):
        assert f'action="/end-users/{BAKERY}/jump/"' in support_client.get(url).content.decode()


# --- across companies -------------------------------------------------------------


def test_search_across_companies_survives_one_offline_and_one_slow(support_client, api_key, fake, settings):
    settings.CROSS_COMPANY_SEARCH_BUDGET = 5.0  # the offline company's answer comes well within it
    make_company(api_key)
    make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders")
    fake.faults.add(Fault(end_user_id="end_usr_demoBuilders02", body="hang"))  # answers never
    started = time.monotonic()
    try:
        response = support_client.get("/", {"q": "a"})
        elapsed = time.monotonic() - started
    finally:
        fake.stop_hanging()
    body = text_of(response)
    assert response.status_code == 200
    assert "QuickBooks is unreachable" in body and "did not answer in time" in body
    assert len(re.findall(rf"/end-users/{BAKERY}/customers/[0-9A-F]+-[0-9]+/", body)) > 0
    assert elapsed < 20  # about one budget: the page does not wait for the company that never answers


def test_search_across_companies_runs_side_by_side(support_client, api_key, fake, settings):
    make_company(api_key)
    make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders")
    fake.faults.add(Fault(path="/quickbooks-desktop/customers", latency=2.0))
    assert support_client.get("/", {"q": "a"}).status_code == 200
    assert fake.stats[f"max_in_flight {ALL_COMPANIES}"] >= 2  # the companies asked at once, not in turn


# --- recently viewed ---------------------------------------------------------------


def test_home_lists_my_recently_viewed_customers(support_client, support_user, company, fake):
    support_client.get(f"{SEARCH}{EXAMPLE_ID}/")
    body = text_of(support_client.get("/"))
    assert "Recently viewed" in body and "ABC Corporation:Website Redesign Project" in body
    assert f'href="{SEARCH}{EXAMPLE_ID}/"' in body
    other = User.objects.create_superuser("other", "o@example.com", "pw")
    assert RecentView.objects.filter(user=other).count() == 0


def test_recent_views_are_bounded_per_user(support_user, company):
    for n in range(RecentView.KEEP_PER_USER + 5):
        RecentView.record(support_user, company, f"80000001-{n}", f"Customer {n}")
    views = list(RecentView.objects.filter(user=support_user))
    assert (
        len(views) == RecentView.KEEP_PER_USER and views[0].customer_name == f"Customer {RecentView.KEEP_PER_USER + 4}"
    )


# --- the job tree, started early --------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the page is opened from another thread
def test_a_customer_seen_in_a_list_gets_its_tree_while_the_record_is_fetched(support_client, company, fake):
    parent = next(
        c
        for c in fake.state.companies[BAKERY].customers
        if c["sublevel"] == 0
        and any(
            d["sublevel"] == 1 and d["fullName"].startswith(c["fullName"] + ":")
            for d in fake.state.companies[BAKERY].customers
        )
    )
    support_client.get(SEARCH, {"q": parent["name"], "status": "all"})  # a list shows it: its place is known
    fake.reset()
    fake.faults.add(Fault(customer_id=parent["id"], latency=3.0))
    import threading

    done = []
    opener = threading.Thread(target=lambda: done.append(support_client.get(f"{SEARCH}{parent['id']}/")))
    opener.start()
    try:
        wait_for(lambda: fake.stats[LIST_CALLS] >= 1)  # the jobs' lookup has been asked...
        assert not done  # ...while the record is still on its way
    finally:
        opener.join(30)
    assert done[0].status_code == 200
    body = done[0].content.decode().split('id="h-jobs"')[1].split("</section>")[0]
    expected = {
        c["id"]
        for c in fake.state.companies[BAKERY].customers
        if c["sublevel"] == 1 and c["fullName"].startswith(parent["fullName"] + ":")
    }
    assert set(re.findall(rf"/end-users/{BAKERY}/customers/([0-9A-F]+-[0-9]+)/", body)) == expected


@pytest.mark.django_db(transaction=True)
def test_a_never_seen_customer_is_looked_up_in_order(support_client, company, fake):
    fake.faults.add(Fault(customer_id=EXAMPLE_ID, latency=0.6))
    import threading

    done = []
    opener = threading.Thread(target=lambda: done.append(support_client.get(f"{SEARCH}{EXAMPLE_ID}/")))
    opener.start()
    try:
        wait_for(lambda: fake.stats[RETRIEVES_OF_EXAMPLE] == 1)  # the record is being fetched
    finally:
        opener.join(30)
    # nothing being known yet, the tree was not started beside the record, and the page
    # did not wait for it
    assert done[0].status_code == 200 and LIST_CALLS not in fake.stats
    account_parts(support_client, f"{SEARCH}{EXAMPLE_ID}/")  # the page's script asks for the jobs
    assert fake.stats[LIST_CALLS] == 1


def test_an_early_tree_for_a_renamed_customer_is_not_used(support_client, company, fake):
    from dashboard.lookups.customer_lists import Position, remember_positions

    customers = fake.state.companies[BAKERY].customers
    target = next(c for c in customers if c["sublevel"] == 0)
    # the dashboard remembers it under an old name, with other "jobs"
    remember_positions(BAKERY, [Position(target["id"], "Old Name", 0, None)])
    body = support_client.get(f"{SEARCH}{target['id']}/").content.decode()
    jobs_html = body.split('id="h-jobs"')[1].split("</section>")[0]
    expected = {c["id"] for c in customers if c["sublevel"] == 1 and c["fullName"].startswith(target["fullName"] + ":")}
    assert set(re.findall(rf"/end-users/{BAKERY}/customers/([0-9A-F]+-[0-9]+)/", jobs_html)) == expected


def test_the_search_and_jump_boxes_take_their_limits_and_choices_from_the_forms(support_client, company, fake):
    from dashboard.forms import MAX_FULL_NAME, CustomerSearchForm

    body = support_client.get(SEARCH, {"q": "acme", "status": "inactive", "match": "starts"}).content.decode()
    assert f'maxlength="{CustomerSearchForm.base_fields["q"].max_length}"' in body  # type: ignore[attr-defined]
    assert re.search(rf'<input type="text" name="to"[^>]* maxlength="{MAX_FULL_NAME}"', body)
    assert re.search(r'<option value="inactive" selected>Inactive</option>', body)
    assert re.search(r'<option value="starts" selected>starts with</option>', body)
    # the page's own search box takes "/", so the jump box does not
    assert body.count("data-search-box") == 1


def test_an_offline_company_page_explains_once_and_never_links_to_itself(support_client, api_key, fake):
    make_company(api_key, DENTAL_OFFLINE, "Harbor Dental")
    response = support_client.get(f"/end-users/{DENTAL_OFFLINE}/customers/")
    html = response.content.decode()
    assert response.status_code == 503 and html.count('role="alert"') == 1
    assert "Nothing of Harbor Dental is saved in the dashboard yet" in text_of(response)
    assert 'aria-label="Search customers"' not in html  # a search could only say the same again
    assert 'class="jump"' in html  # the page itself, with the company's jump box, not an error page
    # no way "back" that leads to the same failure
    assert "Back to" not in html


def test_an_offline_company_page_lists_what_the_index_has_read(support_client, company, fake):
    from dashboard.customer_index import sync
    from dashboard.customer_index.models import CompanySync

    assert sync.sync_company(company).ok
    CompanySync.objects.filter(company=company).update(last_full_sync_at=None)  # first sync not finished
    fake.faults.add(Fault(error="qbd_offline"))
    response = support_client.get(SEARCH, {"q": "a", "status": "all"})
    assert response.status_code == 503
    text = text_of(response)
    assert "QuickBooks is unreachable" in text and "has read so far" in text
    assert len(linked_ids(response)) > 5


def test_a_partial_name_in_a_company_without_an_index_asks_quickbooks_once_more(support_client, company, fake):
    customers = fake.state.companies[BAKERY].customers
    unique = next(c for c in customers if sum(c["name"][:6].lower() in o["name"].lower() for o in customers) == 1)
    one = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": unique["name"][:6]})
    assert one.status_code == 302 and one["Location"].endswith(f"/customers/{unique['id']}/")
    several = support_client.get(f"/end-users/{BAKERY}/jump/", {"to": "Roof"})  # many jobs are "Roof Repair"
    assert several.status_code == 302 and "q=Roof" in several["Location"] and "status=all" in several["Location"]


@pytest.mark.parametrize("typed", ["$5,000", "5,000.00", "5000", " $ 5,000 "])
def test_a_minimum_balance_is_read_as_people_type_amounts(typed):
    from dashboard.forms import CustomerSearchForm

    form = CustomerSearchForm({"balance": "min", "min_balance": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["min_balance"] == Decimal("5000")


def test_the_amount_box_is_there_only_with_balance_at_least(support_client, company, fake):
    def amount_box(params):
        html = support_client.get(SEARCH, params).content.decode()
        return re.search(r'<input[^>]*name="min_balance"[^>]*>', html).group(0)

    assert " hidden" in amount_box({"q": "a"})
    assert " hidden" not in amount_box({"q": "a", "balance": "min", "min_balance": "100"})
    assert " hidden" not in amount_box({"q": "a", "balance": "min"})
