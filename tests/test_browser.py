"""The dashboard in a real browser: Debian's Chromium driven by Playwright, against the
live server and the fake Conductor. Each test leaves a screenshot in var/screenshots/.

In CI (CI=true) a missing browser fails the run; elsewhere these tests are skipped with
the reason, so `make test` still works on a machine without Chromium.
"""

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import User
from django.test import Client

from fake_conductor.faults import Fault
from tests.conftest import BAKERY, DENTAL_OFFLINE, EXAMPLE_ID, GARDEN_NOT_SET_UP, make_company, support_group

# Playwright's sync API runs an event loop in this thread; the tests' own ORM calls
# are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"
PASSWORD = "browser-test-password-1"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        "executable_path": CHROMIUM,
        # As root in a closed network: no sandbox, no background connections.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args, live_server):
    return {**browser_context_args, "base_url": live_server.url, "permissions": ["clipboard-read", "clipboard-write"]}


@pytest.fixture(autouse=True)
def screenshot_after(request, page):
    yield
    if not page.is_closed():
        # The page's own requests (its parts, the live check) finish first: the shot shows
        # them, and none is left running into the next test (writing its cache).
        page.wait_for_load_state("networkidle")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^\w.-]+", "_", request.node.name).strip("_")
        page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


@pytest.fixture
def companies(api_key, fake):
    return [
        make_company(api_key),
        make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders LLC"),
        make_company(api_key, DENTAL_OFFLINE, "Harbor Dental Partners"),
        make_company(api_key, GARDEN_NOT_SET_UP, "Sunrise Landscaping Co."),
    ]


@pytest.fixture
def staff(db):
    user = User.objects.create_user("sam", password=PASSWORD)
    user.groups.add(support_group())
    return user


@pytest.fixture
def signed_in(page, staff, live_server):
    """A browser already signed in as a Support member (through a real session)."""
    client = Client()
    client.force_login(staff)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return page


def no_serious_accessibility_problems(page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], results.generate_report()


def customer_url(customer_id=EXAMPLE_ID, company=BAKERY):
    return f"/end-users/{company}/customers/{customer_id}/"


# --- journeys ---------------------------------------------------------------------------


def test_sign_in_and_see_the_companies(page, staff, companies):
    page.goto("/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Companies").wait_for()
    assert page.get_by_role("link", name="Fulton Street Bakery Group").is_visible()
    no_serious_accessibility_problems(page)


def test_search_page_and_open_a_customer(signed_in, companies, monkeypatch):
    from dashboard.lookups import search

    monkeypatch.setattr(search, "PAGE_SIZE", 5)
    page = signed_in
    page.goto(f"/end-users/{BAKERY}/customers/")
    page.get_by_role("searchbox", name="Name").fill("a")
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("heading", name=re.compile(r"\d+ match")).wait_for()
    first_page = page.locator("table.results tbody tr").count()
    page.get_by_role("link", name="Next page »").click()
    page.wait_for_url(re.compile(r"after="))
    assert page.locator("table.results tbody tr").count() > 0 and first_page == 5
    no_serious_accessibility_problems(page)
    page.locator("table.results tbody a").first.click()
    page.get_by_role("heading", name="Terms & payment").wait_for()


def test_the_customer_page_reads_well_and_copies_its_id(signed_in, companies):
    page = signed_in
    page.goto(customer_url())
    page.get_by_role("heading", level=1, name="Website Redesign Project").wait_for()
    page.locator("details.record summary").click()  # the ids fold away until asked for
    page.get_by_role("button", name="Copy QuickBooks id").first.click()
    assert page.evaluate("navigator.clipboard.readText()") == EXAMPLE_ID
    assert page.locator(".customer-head").get_by_text("•••• 1234").is_visible()
    no_serious_accessibility_problems(page)


def test_refresh_fetches_again_and_returns_to_the_plain_address(signed_in, companies, fake):
    page = signed_in
    page.goto(customer_url())
    page.get_by_role("link", name="Refresh").click()
    page.wait_for_load_state()
    assert page.url.endswith(customer_url())
    assert fake.stats[f"GET customer {EXAMPLE_ID}"] == 2


def test_walk_the_breadcrumb_up_and_the_jobs_down(signed_in, companies, fake):
    page = signed_in
    job = next(c for c in fake.state.companies[BAKERY].customers if c["sublevel"] == 2)
    top, middle = job["fullName"].split(":")[:2]
    page.goto(customer_url(job["id"]))
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=middle, exact=True).click()
    page.get_by_role("heading", level=1, name=middle).wait_for()
    page.locator("section.jobs a", has_text=job["name"]).first.click()
    page.get_by_role("heading", level=1, name=job["name"]).wait_for()
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=top, exact=True).click()
    page.get_by_role("heading", level=1, name=top).wait_for()


def test_jump_box_by_full_name(signed_in, companies):
    page = signed_in
    page.goto(f"/end-users/{BAKERY}/customers/")
    page.get_by_role("textbox", name=re.compile("Go to a customer")).fill("abc corporation:website redesign project")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name="Website Redesign Project").wait_for()


def test_search_across_companies_with_one_offline(signed_in, companies):
    page = signed_in
    page.goto("/")
    assert page.evaluate("document.activeElement.id") == "global-q"  # the home page opens on it
    page.keyboard.press("Tab")
    page.keyboard.press("/")  # and "/" brings focus back to it from anywhere
    assert page.evaluate("document.activeElement.id") == "global-q"
    page.keyboard.type("a")
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Results for “a”").wait_for()
    assert page.get_by_text("QuickBooks is unreachable").first.is_visible()
    # one table, best first across companies; the company that could not answer after it
    assert page.locator(".global-results table.results").count() == 1
    table_bottom = page.locator(".global-results table.results").bounding_box()
    unanswered_top = page.locator(".global-results .unanswered").bounding_box()
    assert table_bottom and unanswered_top and unanswered_top["y"] > table_bottom["y"] + table_bottom["height"] - 1
    no_serious_accessibility_problems(page)


@pytest.mark.parametrize(
    "path,status,heading",
    [
        (customer_url("80000001-99"), 404, "Customer not found"),
        (customer_url("not-an-id"), 404, "Not a QuickBooks customer id"),
        ("/end-users/end_usr_nobody/customers/", 404, "Company not found"),
        (customer_url(company=DENTAL_OFFLINE), 503, "QuickBooks is unreachable"),
        (customer_url(company=GARDEN_NOT_SET_UP), 503, "QuickBooks setup is not finished"),
        ("/no/such/page", 404, "Page not found"),
    ],
)
def test_each_error_page(signed_in, companies, path, status, heading):
    page = signed_in
    response = page.goto(path)
    assert response.status == status
    assert page.get_by_role("heading", level=1, name=heading).is_visible()
    assert page.get_by_role("heading", name="What to do").is_visible()
    no_serious_accessibility_problems(page)


def test_the_error_page_for_a_refused_key(signed_in, companies, fake):
    from fake_conductor.server import Fault

    fake.faults.add(Fault(error="authentication"))
    response = signed_in.goto(customer_url())
    assert response.status == 502
    assert signed_in.get_by_role("heading", level=1, name="The Conductor API key was refused").is_visible()


def test_no_access_page(page, live_server, companies):
    client = Client()
    client.force_login(User.objects.create_user("outsider", password=PASSWORD))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    response = page.goto("/")
    assert response.status == 403
    assert page.get_by_role("heading", name="You do not have access to this page").is_visible()


# --- keyboard, layout, print, dark mode -------------------------------------------------


def test_every_control_is_reachable_by_keyboard_with_a_visible_focus(signed_in, companies):
    page = signed_in
    page.goto(customer_url())
    page.locator("#activity-section").wait_for()  # the page as it settles, activity included
    seen = set()
    for _ in range(300):
        page.keyboard.press("Tab")
        info = page.evaluate("""() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {tag: el.tagName, text: (el.textContent || el.value || '').trim().slice(0, 40),
                    outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0};
        }""")
        if info["tag"] == "BODY":
            break
        assert info["outline"], f"no visible focus on {info}"
        seen.add((info["tag"], info["text"]))
    names = {text for _, text in seen}
    assert {"Skip to content", "Sign out", "Go", "Refresh"} <= names
    folds = {text.split()[0] for tag, text in seen if tag == "SUMMARY"}
    assert {"Other", "Sales", "Custom", "Record"} <= folds  # each fold opens from the keyboard
    page.locator("details.record summary").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Copy"


def test_the_skip_link_and_landmarks(signed_in, companies):
    page = signed_in
    page.goto(customer_url())
    assert page.get_by_role("banner").count() == 1 and page.get_by_role("main").count() == 1
    assert page.get_by_role("heading", level=1).count() == 1
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"


@pytest.mark.parametrize("path", ["/", f"/end-users/{BAKERY}/customers/?status=all", customer_url()])
def test_readable_on_a_phone_without_sideways_scrolling(signed_in, companies, path):
    page = signed_in
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(path)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_print_is_a_tidy_summary_of_one_customer(signed_in, companies, fake):
    """Ctrl+P: no navigation, folded sections open, headings kept with what follows,
    the long sections free to break between rows (not pushed whole to the next page),
    and no word in a table broken at the printed width."""
    from dashboard.customer_index.sync import sync_company

    customer = customer_with_jobs_and_invoices(fake)
    jobs = [c for c in fake.state.companies[BAKERY].customers if c["fullName"].startswith(customer["fullName"] + ":")]
    jobs[0]["email"] = "accounts.payable@northwind-builders.example.com"  # long, with dots to break at
    assert sync_company(companies[0]).ok
    page = signed_in
    page.set_viewport_size({"width": 720, "height": 1000})  # a Letter page's printable width
    page.goto(customer_url(customer["id"]))
    page.locator("#activity-section").wait_for()
    page.locator("#jobs-section").wait_for()
    record = page.locator("details.record dl")
    assert not record.is_visible()  # folded on screen
    page.emulate_media(media="print")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=SCREENSHOTS / "customer-print.pdf")  # to look at
    assert not page.locator("header.topbar").is_visible()
    assert not page.locator("form.jump").first.is_visible()
    assert record.is_visible() and page.get_by_text("QuickBooks id", exact=True).is_visible()
    style = "(el, p) => getComputedStyle(el)[p]"
    assert page.locator("#h-activity").evaluate(style, "breakAfter") == "avoid"
    assert page.locator("details.record summary").evaluate(style, "breakAfter") == "avoid"
    assert page.locator("#activity-section").evaluate(style, "breakInside") == "auto"
    assert page.locator("#activity-section tbody tr").first.evaluate(style, "breakInside") == "avoid"
    assert page.evaluate(BROKEN_WORDS) == []
    emails = page.locator("#jobs-section td[data-label='Email'] a")
    assert emails.count() > 0
    for i in range(emails.count()):  # an address on one line, not broken at its dots
        lines = emails.nth(i).evaluate("el => new Set([...el.getClientRects()].map((r) => Math.round(r.top))).size")
        assert lines == 1, emails.nth(i).inner_text()


def test_dark_mode_follows_the_system(signed_in, companies):
    page = signed_in
    page.emulate_media(color_scheme="dark")
    page.goto(customer_url())
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(n) for n in re.findall(r"\d+", background)[:3])
    assert red + green + blue < 150
    no_serious_accessibility_problems(page)


# --- account activity -------------------------------------------------------------------


def customer_with_jobs_and_invoices(fake):
    customers = fake.state.companies[BAKERY].customers
    ledger = fake.state.companies[BAKERY].ledger
    owners = {i["customer"]["id"] for i in ledger.invoices if i["balanceRemaining"] != "0.00"}
    return next(
        c
        for c in customers
        if c["sublevel"] == 0
        and not c["fullName"].startswith("ABC Corporation")  # the contract's example: one invoice each
        and c["id"] in owners
        and any(j["id"] in owners for j in customers if j["fullName"].startswith(c["fullName"] + ":"))
    )


def test_the_activity_arrives_after_the_record_and_links_each_invoice(signed_in, companies, fake):
    page = signed_in
    customer = customer_with_jobs_and_invoices(fake)
    page.goto(customer_url(customer["id"]))
    page.locator("#activity-section").wait_for()
    page.locator("#jobs-section").wait_for()
    assert page.get_by_text("= balance").is_visible()
    no_serious_accessibility_problems(page)
    page.locator("#activity-section table a").first.click()
    page.get_by_role("heading", level=1, name=re.compile("^Invoice ")).wait_for()
    no_serious_accessibility_problems(page)
    # each document links back to its customer (or job)
    owner = page.locator(".document-head a[href*='/customers/']")
    owner_name = owner.inner_text().rsplit(":", 1)[-1]
    owner.click()
    page.get_by_role("heading", level=1, name=owner_name).wait_for()


def test_without_scripts_the_activity_is_one_link_away(browser, live_server, staff, companies, fake):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    client = Client()
    client.force_login(staff)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(customer_url())
    page.get_by_role("link", name="Open it on its own page").click()
    page.locator("#activity-section").wait_for()
    assert page.get_by_role("heading", name="Open invoices").is_visible()
    context.close()


def test_a_payment_shows_where_it_went(signed_in, companies, fake):
    page = signed_in
    payment = next(p for p in fake.state.companies[BAKERY].ledger.payments if len(p["appliedToTransactions"]) > 1)
    page.goto(f"/end-users/{BAKERY}/payments/{payment['id']}/")
    page.get_by_role("heading", name="Applied to").wait_for()
    assert page.locator("table a[href*='/invoices/']").count() == len(payment["appliedToTransactions"])
    no_serious_accessibility_problems(page)


def test_the_activity_page_prints_as_a_statement(signed_in, companies, fake):
    page = signed_in
    customer = customer_with_jobs_and_invoices(fake)
    page.goto(customer_url(customer["id"]) + "activity/")
    page.get_by_role("heading", level=1, name=re.compile("all activity")).wait_for()
    no_serious_accessibility_problems(page)
    page.emulate_media(media="print")
    assert page.get_by_text("Statement date:").is_visible()
    assert not page.locator("form.search-form").is_visible()
    assert page.get_by_role("heading", name="Statement", exact=True).is_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.pdf(path=SCREENSHOTS / "statement-print.pdf")
    page.screenshot(path=SCREENSHOTS / "statement-print.png", full_page=True)  # to look at


@pytest.mark.parametrize("source", ["copy", "live"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1440])
@pytest.mark.parametrize("which", ["customer", "invoice", "activity"])
def test_account_pages_at_phone_and_desktop_width(signed_in, companies, fake, which, width, scheme, source):
    """Each page as support meets it: from the local copy (the company synced), and read
    live (a company whose first read has not finished)."""
    if source == "copy":
        from dashboard.customer_index.sync import sync_company

        assert sync_company(companies[0]).ok
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    customer = customer_with_jobs_and_invoices(fake)
    invoice = next(
        i for i in fake.state.companies[BAKERY].ledger.invoices if i["lineGroups"] and i["linkedTransactions"]
    )
    path = {
        "customer": customer_url(customer["id"]),
        "invoice": f"/end-users/{BAKERY}/invoices/{invoice['id']}/",
        "activity": customer_url(customer["id"]) + "activity/",
    }[which]
    page.goto(path)
    if which == "customer":
        page.locator("#activity-section").wait_for()
        if source == "copy":
            page.get_by_text("Checked with QuickBooks just now: up to date").wait_for()
    if source == "copy":
        assert page.get_by_text("From the local copy, as of").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width


# --- the customer index ------------------------------------------------------------------


@pytest.mark.parametrize("width", [375, 1440])
def test_the_phone_rings_and_the_callers_are_on_screen(signed_in, companies, fake, width):
    from dashboard.customer_index.sync import sync_company

    customers = fake.state.companies[BAKERY].customers
    for customer in (customers[20], customers[21]):
        customer["phone"] = "(555) 301-4525"
    assert sync_company(companies[0]).ok
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/call/?number=%2B15553014525")  # as a phone system sends it
    page.get_by_role("heading", name="2 customers have +1 555-301-4525").wait_for()
    assert page.locator("table.results tbody tr").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"call-list-{width}.png", full_page=True)  # to look at
    page.locator("table.results tbody").get_by_role("link", name=customers[20]["name"], exact=True).click()
    page.get_by_role("heading", level=1, name=customers[20]["name"]).wait_for()
    page.goto("/call/?number=555-999-0000")  # nobody has it: the search, filled in
    assert page.get_by_role("searchbox").input_value() == "+1 555-999-0000"
    assert page.get_by_text("No customer in the local copies has").is_visible()


def test_a_callers_phone_number_finds_the_customer_in_one_step(signed_in, companies, fake):
    from dashboard.customer_index.sync import sync_company

    customer = fake.state.companies[BAKERY].customers[20]
    customer["phone"] = "+1-555-301-4525"
    for company in companies[:2]:
        assert sync_company(company).ok
    page = signed_in
    page.goto("/")
    page.get_by_role("searchbox").fill("(555) 301-4525")
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=customer["name"]).wait_for()


@pytest.mark.parametrize("width", [375, 1440])
def test_index_search_results_say_how_fresh_they_are(signed_in, companies, fake, width):
    from dashboard.customer_index.sync import sync_company

    assert sync_company(companies[0]).ok
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    # on a phone the table stacks: each cell says what it is instead of a header row
    page.locator("td[data-label='Local copy']", has_text="In step").first.wait_for()
    page.goto(f"/end-users/{BAKERY}/customers/?q=garc&status=all")
    page.get_by_text("in step with QuickBooks").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)


# --- the walk-through: tables at phone and desktop width ---------------------------------

# Every table cell's words, measured in the cell's own font: a word wider than the cell's
# content box has been broken inside (or spills out). Emails may wrap at "@" and "."
# only: their <wbr>s split them into separate text nodes, so each part counts as a word.
BROKEN_WORDS = """() => {
  const problems = [];
  const probe = document.createElement('span');
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:pre;left:-10000px;top:0';
  document.body.appendChild(probe);
  for (const cell of document.querySelectorAll('table td, table th')) {
    if (!cell.getClientRects().length) continue;
    const style = getComputedStyle(cell);
    const room = cell.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const element = node.parentElement;
      if (!element.getClientRects().length) continue;
      const own = getComputedStyle(element);
      probe.style.font = own.font;
      probe.style.letterSpacing = own.letterSpacing;
      const whole = own.whiteSpace === 'nowrap' || own.whiteSpace === 'pre';
      const words = whole ? [node.textContent.trim()] : node.textContent.split(/\\s+/);
      for (const word of words) {
        if (!word) continue;
        probe.textContent = word;
        const width = probe.getBoundingClientRect().width;
        if (width > room + 1) problems.push(`"${word}" is ${Math.round(width)}px in a ${Math.round(room)}px cell`);
      }
    }
  }
  probe.remove();
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    if (wrap.getClientRects().length && wrap.scrollWidth > wrap.clientWidth + 1) {
      problems.push(`a table scrolls sideways (${wrap.scrollWidth}px in ${wrap.clientWidth}px)`);
    }
  }
  return problems;
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1440])
@pytest.mark.parametrize("which", ["home", "company", "customer"])
def test_no_table_cell_breaks_a_word_at_phone_and_desktop_width(signed_in, companies, fake, which, width, scheme):
    from dashboard import connections

    connections.check_connection(companies[2])  # the offline company: its longest status line
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.emulate_media(color_scheme=scheme)
    path = {
        "home": "/",
        "company": f"/end-users/{BAKERY}/customers/?status=all",
        "customer": customer_url(),  # the contract's example: custom fields, every contact field
    }[which]
    page.goto(path)
    if which == "customer":
        page.locator("#activity-section").wait_for()
        page.locator("#jobs-section").wait_for()
    assert page.evaluate(BROKEN_WORDS) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width == 1440:  # tables use the width there is, not a 1100 px column
        assert page.evaluate("document.querySelector('main').getBoundingClientRect().width") > 1300


# --- admin, as the walk-through met it ---------------------------------------------------


@pytest.fixture
def admin_page(page, live_server, db):
    client = Client()
    client.force_login(User.objects.create_superuser("root", "root@example.com", PASSWORD))
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.set_viewport_size({"width": 1440, "height": 900})
    return page


@pytest.mark.parametrize("width", [375, 1440])
@pytest.mark.parametrize("which", ["companies", "company", "audit"])
def test_admin_lists_fit_the_screen_and_the_setup_link_is_a_button(admin_page, companies, fake, which, width):
    from dashboard import connections

    page = admin_page
    page.set_viewport_size({"width": width, "height": 900})
    connections.check_connection(companies[2])
    if which == "audit":  # a few entries to list: a view and a failure
        staff_client = Client()
        staff_client.force_login(User.objects.create_superuser("sam2", "s@example.com", PASSWORD))
        staff_client.get(customer_url())
        staff_client.get(customer_url(company=DENTAL_OFFLINE))
    path = {
        "companies": "/admin/dashboard/company/",
        "company": f"/admin/dashboard/company/{companies[3].pk}/change/",
        "audit": "/admin/dashboard/auditentry/",
    }[which]
    page.goto(path)
    results = page.locator("#changelist .results")
    if which != "company":
        assert page.evaluate("(el) => el.scrollWidth <= el.clientWidth + 1", results.element_handle())
        if width == 375:  # each row a card, each value under its column's name
            cells = page.locator("#result_list tbody tr").first.locator("td, th")
            labels = [cells.nth(i).get_attribute("data-label") for i in range(cells.count())]
            headings = page.locator("#result_list thead th").all_inner_texts()
            assert [label for label in labels if label] == [h.strip() for h in headings if h.strip()]
            assert all(cells.nth(i).bounding_box()["width"] <= width for i in range(cells.count()))
    else:
        page.get_by_role("button", name="Create a setup link").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", [375, 1440])
def test_a_mistaken_amount_is_marked_at_its_field_and_the_results_stay(signed_in, companies, fake, width):
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/end-users/{BAKERY}/customers/?status=all")
    page.get_by_label("Balance", exact=True).select_option("min")
    page.get_by_label("Minimum total balance").fill("lots")
    page.get_by_role("button", name="Search").click()
    box = page.get_by_label("Minimum total balance")
    assert box.get_attribute("aria-invalid") == "true"
    message = page.locator(f"#{box.get_attribute('aria-describedby')}")
    assert message.inner_text() == "Enter the minimum balance as an amount, like 250, $5,000 or 1,200.50."
    assert page.locator(".field-error").count() == 1
    assert page.locator("table.results tbody tr").count() > 10
    no_serious_accessibility_problems(page)


@pytest.mark.parametrize("width", [375, 1440])
def test_an_offline_company_page_explains_once_and_shows_the_index(signed_in, companies, fake, width):
    from dashboard import connections
    from dashboard.customer_index import sync
    from dashboard.customer_index.models import CompanySync

    bakery = companies[0]
    assert sync.sync_company(bakery).ok
    CompanySync.objects.filter(company=bakery).update(last_full_sync_at=None)  # as if the first read were cut short
    fake.faults.add(Fault(error="qbd_offline"))
    connections.check_connection(bakery)
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/end-users/{BAKERY}/customers/?q=a&status=all")
    assert page.get_by_role("alert").count() == 1
    page.get_by_role("heading", name="QuickBooks is unreachable").wait_for()
    assert page.locator("table.results tbody tr").count() > 5
    assert page.get_by_role("link", name=re.compile("^Back to")).count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)


def test_the_admin_create_company_page_has_styled_breadcrumbs(admin_page, companies):
    page = admin_page
    page.goto("/admin/dashboard/company/create-in-conductor/")
    crumbs = page.locator("nav[aria-label='Breadcrumbs'] ol.breadcrumbs li")
    assert crumbs.count() == 4
    # admin's own breadcrumb style: light text on its dark bar
    color = page.evaluate("getComputedStyle(document.querySelector('.breadcrumbs')).backgroundColor")
    assert color not in ("rgba(0, 0, 0, 0)", "transparent")


@pytest.mark.parametrize("width", [375, 1440])
def test_an_offline_customer_page_is_whole_from_the_copy_and_says_the_check_failed(signed_in, companies, fake, width):
    from dashboard.customer_index import sync

    assert sync.sync_company(companies[0]).ok
    fake.faults.add(Fault(error="qbd_offline"))
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(customer_url())
    page.get_by_text("Could not check with QuickBooks").wait_for()
    assert page.get_by_text("From the local copy, as of").count() == 1
    assert page.get_by_role("link", name="customer@example.com").count() >= 1
    assert page.get_by_role("heading", name=re.compile("^Open invoices")).count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)
    # What a person on a call sees first, without scrolling.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"customer_from_the_copy_offline_first_screen_{width}.png")


@pytest.mark.parametrize("width", [375, 1440])
def test_a_change_in_quickbooks_shows_on_the_open_page_by_itself(signed_in, companies, fake, width):
    from dashboard.customer_index import sync

    assert sync.sync_company(companies[0]).ok
    with httpx.Client() as control:
        added = control.post(
            fake.url.removesuffix("/v1") + "/_fake/invoices",
            json={"end_user_id": BAKERY, "customer_id": EXAMPLE_ID, "amount": "777.77"},
        ).json()
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(customer_url())
    page.get_by_text("Updated from QuickBooks just now").wait_for()
    assert page.get_by_text("1 new invoice").count() >= 1
    assert page.locator("#main").get_by_text(added["refNumber"], exact=True).count() >= 1
    assert page.locator("#main").get_by_text("777.77").count() >= 1


# --- values from QuickBooks written right to left ----------------------------------------

RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE: everything after it, to the end of its scope, is reversed

# Every text holding the override must be alone in its element (nothing of ours beside it
# in the same run of text) and that element isolated (<bdi>, or unicode-bidi: isolate), so
# the reversal stops at the value's edge.
UNISOLATED = """(mark) => {
  const problems = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.includes(mark)) continue;
    const element = node.parentElement;
    const isolated = element.tagName === 'BDI' || getComputedStyle(element).unicodeBidi === 'isolate';
    const alone = element.textContent.trim() === node.textContent.trim();
    if (!isolated || !alone) problems.push(`<${element.tagName.toLowerCase()} class="${element.className}">${element.textContent.trim().slice(0, 80)}`);
  }
  return problems;
}"""


def test_a_value_written_right_to_left_cannot_reorder_its_neighbours(signed_in, companies, fake):
    customers = fake.state.companies[BAKERY].customers
    example = customers[1]
    assert example["id"] == EXAMPLE_ID  # a job of ABC Corporation
    hostile = dict(example)
    for key in ("companyName", "firstName", "lastName", "jobTitle", "note", "jobDescription", "accountNumber"):
        hostile[key] = f"{RLO}{example[key] or key}"
    hostile["name"] = f"{RLO}{example['name']}"
    hostile["fullName"] = f"{example['parent']['fullName']}:{hostile['name']}"
    hostile["billingAddress"] = {**example["billingAddress"], "line1": f"{RLO}12 Elm St", "city": f"{RLO}Springfield"}
    hostile["customFields"] = [{**field, "value": f"{RLO}{field['value']}"} for field in example["customFields"]]
    customers[1] = hostile
    page = signed_in
    page.goto(customer_url())
    page.get_by_role("heading", level=1).wait_for()
    page.locator("#activity-section").wait_for()
    problems = page.evaluate(UNISOLATED, RLO)
    page.goto(f"/end-users/{BAKERY}/customers/?q={example['name'][:7]}&status=all")
    page.get_by_role("heading", level=1).wait_for()
    problems += page.evaluate(UNISOLATED, RLO)
    assert problems == [], "\n".join(problems)


def test_too_many_searches_at_once_says_to_wait(signed_in, companies, staff):
    from dashboard.caching.counters import count_up
    from dashboard.caching.freshness import cache_key
    from dashboard.search_limit import SEARCHES_AT_ONCE

    for _ in range(SEARCHES_AT_ONCE):  # the person's other tabs, still searching
        count_up(cache_key("searches-running", str(staff.pk)), timeout=60)
    page = signed_in
    response = page.goto("/?q=garica")
    assert response.status == 429
    assert page.get_by_role("heading", level=1, name="Several searches are already running").is_visible()
    assert page.get_by_role("heading", name="What to do").is_visible()
    no_serious_accessibility_problems(page)


# --- the call, from the keyboard -----------------------------------------------------------


@pytest.mark.parametrize("width", [375, 1440])
def test_find_open_and_note_a_promise_without_the_mouse(signed_in, companies, fake, width):
    """/ to search, j/k and Enter through the results, n for a note with a promise, ?
    for the shortcuts; none of them fires while typing."""
    from dashboard.customer_index.sync import sync_company
    from dashboard.lookups import activity

    assert sync_company(companies[0]).ok
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    page.evaluate("document.activeElement.blur()")  # the box has the focus on arrival
    page.keyboard.press("/")
    page.keyboard.type("an")  # "n" typed in the box is a letter, not a shortcut
    assert page.locator("#global-q").input_value() == "an"
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Results for “an”").wait_for()
    page.evaluate("document.activeElement.blur()")
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    chosen = page.locator("table.results tr.is-chosen a").first
    name = chosen.inner_text()
    assert page.evaluate("document.activeElement.textContent") == name
    page.keyboard.press("Enter")
    page.get_by_role("heading", level=1, name=name).wait_for()
    page.keyboard.press("?")
    assert page.get_by_role("dialog", name="Keyboard shortcuts").is_visible()
    page.keyboard.press("Escape")
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
    page.keyboard.type("Will pay the March invoice next week.")
    page.keyboard.press("Tab")
    page.keyboard.type("$1,250")
    page.keyboard.press("Tab")
    by = activity.today() + timedelta(days=7)
    page.keyboard.type(by.strftime("%m%d%Y"))
    page.keyboard.press("Enter")
    page.get_by_text("Will pay the March invoice next week.").wait_for()
    page.locator("#activity-section").wait_for()
    with page.expect_download() as download:
        page.keyboard.press("p")  # the statement, as a PDF
    assert download.value.suggested_filename.startswith("statement-")
    assert page.locator(".our-notes .promise").get_by_text("Due").is_visible()
    assert page.locator(".our-notes .promise").get_by_text("1,250.00").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)


@pytest.mark.parametrize("width", [375, 1440])
def test_a_statement_is_emailed_while_the_customer_listens(signed_in, companies, fake, width):
    from dashboard.customer_index.sync import sync_company

    assert sync_company(companies[0]).ok
    customer = customer_with_jobs_and_invoices(fake)
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(customer_url(customer["id"]))
    page.get_by_role("link", name="Email statement").click()
    page.get_by_role("heading", name=re.compile("^Email the statement to")).wait_for()
    assert page.get_by_role("textbox", name="To").input_value() == customer["email"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"email-statement-form-{width}.png", full_page=True)  # to look at
    page.get_by_label("Message").fill("As we discussed: your statement.")
    page.get_by_role("button", name="Send").click()
    page.locator("#emailed").get_by_text(f"being emailed to {customer['email']}").wait_for()
    assert page.url.endswith("#emailed")


@pytest.mark.parametrize("width", [375, 1440])
def test_walk_a_list_of_results_with_brackets_and_come_back_to_the_same_place(signed_in, companies, fake, width):
    from dashboard.customer_index.sync import sync_company

    assert sync_company(companies[0]).ok
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/end-users/{BAKERY}/customers/?status=all")
    names = page.locator("table.results tbody td[data-label='Name'] > a").all_inner_texts()
    page.get_by_role("link", name=names[1], exact=True).click()
    page.get_by_role("heading", level=1, name=names[1]).wait_for()
    assert page.get_by_text(re.compile(r"^2 of \d+$")).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"customer-in-a-list-{width}.png")  # to look at: the first screen
    page.keyboard.press("]")
    page.get_by_role("heading", level=1, name=names[2]).wait_for()
    page.keyboard.press("[")
    page.get_by_role("heading", level=1, name=names[1]).wait_for()
    page.get_by_role("link", name="« Back to results").click()
    page.wait_for_url(re.compile(r"/customers/\?status=all&page=1#r-"))
    assert page.locator("table.results tbody tr").count() == len(names)


@pytest.mark.parametrize("width", [375, 1440])
def test_a_companys_promises_due_today_and_broken_are_listed_first(signed_in, companies, fake, width):
    from decimal import Decimal

    from django.utils import timezone

    from dashboard.customer_index.sync import sync_company
    from dashboard.lookups import activity
    from dashboard.models import CustomerNote

    assert sync_company(companies[0]).ok
    owing = customer_with_jobs_and_invoices(fake)
    for days_ago, text in ((0, "Will pay by card this afternoon."), (3, "Cheque in the post, they said.")):
        CustomerNote.objects.create(
            company=companies[0],
            customer_id=owing["id"],
            customer_name=owing["fullName"],
            text=text,
            promise_amount=Decimal("500.00"),
            promise_date=activity.today() - timedelta(days=days_ago),
            author_name="sam",
            written_at=timezone.now() - timedelta(days=days_ago + 2),
        )
    page = signed_in
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/end-users/{BAKERY}/customers/")
    section = page.get_by_role("region", name="Promises to pay")
    assert section.get_by_text("Will pay by card this afternoon.").is_visible()
    assert section.get_by_text("Cheque in the post, they said.").is_visible()
    assert section.locator(".badge-promise-broken").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    no_serious_accessibility_problems(page)
