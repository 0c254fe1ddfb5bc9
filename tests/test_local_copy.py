"""The local copy of what support reads: complete customer records and the transactions of
the history window (and every open one), read in full once per kind, then kept in step
by what changed, with as few requests as QuickBooks' time allows."""

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from dashboard.conductor import records, transactions
from dashboard.customer_index import sync, transaction_sync
from dashboard.customer_index.compact_json import compact
from dashboard.customer_index.models import CompanySync, CopiedTransaction, IndexedCustomer
from fake_conductor.faults import Fault
from fake_conductor.ledger import CARD_NUMBERS
from tests.conftest import BAKERY, upstream_requests, wait_for
from tests.test_customer_index import control, fake_customers

pytestmark = pytest.mark.django_db(transaction=True)

KINDS = ("invoice", "receive_payment", "credit_memo", "sales_receipt")


def ledger(fake):
    return fake.state.companies[BAKERY].ledger


def fake_transactions(fake) -> dict[str, tuple[str, dict]]:
    return {i: (kind, item) for i, (kind, item) in ledger(fake).by_id().items() if kind in KINDS}


def copied(company) -> dict[str, CopiedTransaction]:
    return {row.transaction_id: row for row in CopiedTransaction.objects.filter(company=company)}


def is_open(kind: str, item: dict) -> bool:
    key = {"invoice": "balanceRemaining", "credit_memo": "creditRemaining", "receive_payment": "unusedPayment"}
    return kind in key and Decimal(item[key[kind]]) != 0


@pytest.fixture
def synced(company, fake):
    report = sync.sync_company(company)
    assert report.ok and report.kind == "full", report.error
    fake.reset()
    return company


def test_the_first_sync_copies_every_record_and_transaction_with_its_lines_and_links(company, fake):
    report = sync.sync_company(company)
    assert report.ok
    held = copied(company)
    assert set(held) == set(fake_transactions(fake))
    for transaction_id, (kind, item) in fake_transactions(fake).items():
        row = held[transaction_id]
        assert row.kind == kind and row.customer_id == item["customer"]["id"]
        assert row.is_open == is_open(kind, item)
        assert len(row.record.get("lines") or []) == len(item.get("lines") or [])
    linked = next(i for _, i in fake_transactions(fake).values() if i.get("linkedTransactions"))
    assert held[linked["id"]].record["linkedTransactions"] == compact(linked["linkedTransactions"])
    # Complete customer records, parsed by the parser of live records.
    for customer in fake_customers(fake):
        record = IndexedCustomer.objects.get(company=company, customer_id=customer["id"]).record
        assert records.parse_customer(record).full_name == customer["fullName"]
    state = CompanySync.objects.get(company=company)
    assert set(state.transaction_kinds_read) == set(KINDS) and state.transactions == len(held)


def test_nothing_in_the_copy_holds_more_than_the_last_four_digits_of_a_card(company, fake):
    with_card = next(c for c in fake_customers(fake) if c.get("creditCard"))
    with_card["creditCard"]["number"] = "4111111111111111"
    assert sync.sync_company(company).ok
    stored = json.dumps(list(IndexedCustomer.objects.values_list("record", flat=True)))
    stored += json.dumps(list(CopiedTransaction.objects.values_list("record", flat=True)))
    paid_by_card = [i for _, i in fake_transactions(fake).values() if i.get("creditCardTransaction")]
    assert paid_by_card
    for number in (*CARD_NUMBERS, "4111111111111111"):
        assert number not in stored
    row = IndexedCustomer.objects.get(customer_id=with_card["id"])
    assert records.parse_customer(row.record).credit_card.last_four == "1111"
    payment = CopiedTransaction.objects.get(transaction_id=paid_by_card[0]["id"])
    parse = transactions.parse_payment if payment.kind == "receive_payment" else transactions.parse_document
    assert parse(payment.record).card_last_four == paid_by_card[0]["creditCardTransaction"]["request"]["number"][-4:]


def test_the_window_holds_recent_history_and_every_open_transaction_whatever_its_age(company, fake, settings):
    settings.MIRROR_HISTORY_DAYS = 60
    assert sync.sync_company(company).ok
    first_day = transaction_sync.window_start()
    held = copied(company)
    for transaction_id, (kind, item) in fake_transactions(fake).items():
        recent = date.fromisoformat(item["transactionDate"]) >= first_day
        assert (transaction_id in held) == (recent or is_open(kind, item)), (kind, item["transactionDate"])
    assert any(not row.is_open for row in held.values())
    assert any(row.is_open and row.transaction_date < first_day for row in held.values())


def test_an_idle_company_costs_four_requests_a_sync(synced, fake):
    report = sync.sync_company(synced)
    assert report.ok and report.kind == "incremental"
    assert upstream_requests(fake) == 4 == report.pages
    assert fake.stats["GET /quickbooks-desktop/transactions"] == 1
    assert fake.stats["GET /quickbooks-desktop/deleted-transactions"] == 1


def test_new_paid_voided_and_deleted_transactions_reach_the_copy_with_the_balances(synced, fake):
    customer = next(c for c in fake_customers(fake) if c["sublevel"] == 1)
    parent_id = customer["parent"]["id"]
    customer_updated_at = customer["updatedAt"]
    invoice = control(fake, "POST", "invoices", customer_id=customer["id"], amount="300.00")
    paid = next(i for k, i in fake_transactions(fake).values() if k == "invoice" and is_open(k, i) and i is not invoice)
    payment = control(fake, "POST", f"invoices/{paid['id']}/payments", amount=paid["balanceRemaining"])
    voided = next(i for k, i in fake_transactions(fake).values() if k == "invoice" and is_open(k, i))
    control(fake, "POST", f"transactions/{voided['id']}/void")
    deleted = next(i for k, i in fake_transactions(fake).values() if k == "sales_receipt")
    control(fake, "DELETE", f"transactions/{deleted['id']}")
    assert customer["updatedAt"] == customer_updated_at  # QuickBooks need not move it

    report = sync.sync_company(synced)
    assert report.ok, report.error
    held = copied(synced)
    assert held[invoice["id"]].is_open and held[invoice["id"]].customer_id == customer["id"]
    assert held[payment["id"]].kind == "receive_payment"
    assert not held[paid["id"]].is_open  # read again with its payment
    assert not held[voided["id"]].is_open  # voided: kept, no longer open
    assert deleted["id"] not in held
    # The balances moved with the transactions, though the customers' updatedAt did not.
    for customer_id in (customer["id"], parent_id, paid["customer"]["id"]):
        row = IndexedCustomer.objects.get(company=synced, customer_id=customer_id)
        live = next(c for c in fake_customers(fake) if c["id"] == customer_id)
        assert row.total_balance == Decimal(live["totalBalance"])
        assert records.parse_customer(row.record).balance == Decimal(live["balance"])


def test_a_first_read_stopped_part_way_resumes_with_the_kinds_it_had_not_finished(company, fake):
    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline", path="/quickbooks-desktop/credit-memos"))
    report = sync.sync_company(company)
    assert not report.ok
    state = CompanySync.objects.get(company=company)
    assert set(state.transaction_kinds_read) == {"invoice", "receive_payment"}
    fake.reset()
    assert sync.sync_company(company).ok
    assert "GET /quickbooks-desktop/invoices" not in fake.stats  # done already: not read again
    assert fake.stats["GET /quickbooks-desktop/credit-memos"] >= 1
    assert set(copied(company)) == set(fake_transactions(fake))


def test_a_walk_whose_cursor_died_is_walked_again_and_loses_nothing(company, fake, monkeypatch):
    monkeypatch.setattr(transaction_sync, "PAGE", 40)
    state = fake.state.companies[BAKERY]
    real_may_ask = sync._Syncer._may_ask
    killed = []

    def pause_past_the_cursors_life(self, longest=sync.MAX_PAUSE_SECONDS):
        if longest == sync.WALK_PAUSE_SECONDS and not killed:  # a cursor waits on this call
            killed.append(longest)
            fake.state.cursors.clear()  # as if the sync had paused past ten seconds
        return real_may_ask(self, longest)

    monkeypatch.setattr(sync._Syncer, "_may_ask", pause_past_the_cursors_life)
    report = sync.sync_company(company)
    assert report.ok, report.error
    assert killed
    assert set(copied(company)) == {i for i, (k, _) in state.ledger.by_id().items() if k in KINDS}


def test_a_walks_next_page_is_asked_for_while_the_last_one_is_stored(company, fake, monkeypatch):
    monkeypatch.setattr(transaction_sync, "PAGE", 40)  # walks of several pages
    real_store = transaction_sync.store
    asked_while_storing = []

    def store_once_the_next_page_is_asked_for(company, kind, found, seen_at, first_day):
        if kind == "invoice" and not asked_while_storing:
            try:
                wait_for(lambda: fake.stats["GET /quickbooks-desktop/invoices"] >= 2, within=10)
                asked_while_storing.append(True)
            except AssertionError:
                asked_while_storing.append(False)
        return real_store(company, kind, found, seen_at, first_day)

    monkeypatch.setattr(transaction_sync, "store", store_once_the_next_page_is_asked_for)
    report = sync.sync_company(company)
    assert report.ok, report.error
    assert asked_while_storing == [True]
    assert fake.stats["max_in_flight all companies"] == 1  # still one request at a time
    assert set(copied(company)) == set(fake_transactions(fake))


def test_a_company_removed_in_admin_takes_its_copy_with_it(synced):
    assert CopiedTransaction.objects.filter(company=synced).exists()
    synced.delete()
    assert not CopiedTransaction.objects.exists() and not IndexedCustomer.objects.exists()


def test_the_copy_reads_deletions_from_ninety_days_only_and_reads_in_full_after(synced, fake):
    state = CompanySync.objects.get(company=synced)
    CompanySync.objects.filter(pk=state.pk).update(transaction_deletions_checked_at=timezone.now() - timedelta(days=91))
    report = sync.sync_company(synced)
    assert report.ok
    assert fake.stats["GET /quickbooks-desktop/invoices"] >= 1  # read in full again
    assert "GET /quickbooks-desktop/deleted-transactions" not in fake.stats


def test_the_home_page_and_admin_say_how_the_copy_stands(support_client, admin_client, synced, fake):
    page = support_client.get("/").content.decode()
    state = CompanySync.objects.get(company=synced)
    assert "In step as of" in page
    assert f"{state.customers:,} customers · {state.transactions:,} transactions" in page
    admin_page = admin_client.get(f"/admin/dashboard/company/{synced.pk}/change/").content.decode()
    assert f"{state.transactions:,} transactions copied" in admin_page


def test_a_first_read_stopped_part_way_says_what_it_has_not_read(support_client, company, fake):
    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline", path="/quickbooks-desktop/credit-memos"))
    assert not sync.sync_company(company).ok
    page = support_client.get("/").content.decode()
    assert "not read yet: credit memos, sales receipts" in page


def test_the_interval_follows_attention(synced, settings):
    from django.core.cache import cache

    from dashboard.customer_index.tasks import interval, note_attention

    settings.SYNC_INTERVAL_SECONDS, settings.SYNC_ATTENTION_INTERVAL_SECONDS = 900, 60
    now = timezone.now()
    state = CompanySync.objects.get(company=synced)
    assert interval(state, now) == timedelta(seconds=900)  # nobody has looked
    cache.clear()
    note_attention(synced)
    state.refresh_from_db()
    assert interval(state, timezone.now()) == timedelta(seconds=60)
    assert interval(state, timezone.now() + timedelta(seconds=901)) == timedelta(seconds=900)  # looked long ago


def test_a_company_people_look_at_is_due_sooner_and_is_queued_once(synced, settings):
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    from dashboard.customer_index.tasks import note_attention, sync_company_task, sync_due_companies

    settings.SYNC_INTERVAL_SECONDS, settings.SYNC_ATTENTION_INTERVAL_SECONDS = 900, 60
    CompanySync.objects.filter(company=synced).update(in_step_at=timezone.now() - timedelta(seconds=120))
    assert sync_due_companies.call() == []  # in step two minutes ago, nobody looking: not due
    cache.clear()
    note_attention(synced)
    assert sync_due_companies.call() == [BAKERY]
    assert sync_due_companies.call() == []  # already queued: not queued twice
    assert DBTaskResult.objects.filter(task_path=sync_company_task.module_path, status="READY").count() == 1


def test_the_copy_keeps_records_without_their_nulls_and_reads_them_as_the_live_ones(company, fake):
    assert sync.sync_company(company).ok
    for customer in fake_customers(fake)[:10]:
        record = IndexedCustomer.objects.get(company=company, customer_id=customer["id"]).record
        assert None not in record.values()
        assert records.parse_customer(record) == records.parse_customer(customer)
    for transaction_id, (kind, item) in list(fake_transactions(fake).items())[:40]:
        record = CopiedTransaction.objects.get(transaction_id=transaction_id).record
        parse = transactions.parse_payment if kind == "receive_payment" else transactions.parse_document
        assert parse(record) == parse(item)


def test_a_sync_that_waits_for_people_inside_a_walk_keeps_its_cursor_and_completes(company, fake, monkeypatch):
    monkeypatch.setattr(transaction_sync, "PAGE", 40)  # walks of several pages
    monkeypatch.setattr(sync, "MAX_PAUSE_SECONDS", 0.2)
    monkeypatch.setattr(sync, "WALK_PAUSE_SECONDS", 0.1)
    monkeypatch.setattr(sync, "pages_waiting", lambda conductor_id: True)  # people ask all along
    pauses: list[float] = []
    real = sync._Syncer._may_ask

    def noted(self, longest=sync.MAX_PAUSE_SECONDS):
        pauses.append(longest)
        return real(self, longest)

    monkeypatch.setattr(sync._Syncer, "_may_ask", noted)
    report = sync.sync_company(company)
    assert report.ok, report.error
    assert 0.1 in pauses  # inside a walk the pause stays short of the cursor's life
    assert set(copied(company)) == set(fake_transactions(fake))


def test_a_first_read_that_stopped_says_so_and_why_and_the_connection_says_the_same(support_client, company, fake):
    from dashboard.models import Company, ConnectionStatus

    fake.faults.add(Fault(end_user_id=BAKERY, error="qbd_offline"))
    report = sync.sync_company(company)
    assert not report.ok
    company = Company.objects.get(pk=company.pk)
    assert company.connection_status == ConnectionStatus.OFFLINE and company.last_error  # one state, the true one
    row = support_client.get("/").content.decode().split(f"/end-users/{BAKERY}/", 1)[1].split("</tr>", 1)[0]
    assert "First read stopped" in row and "First read under way" not in row
    assert "Never checked" not in row and "QuickBooks offline" in row


def test_a_refused_key_found_by_the_sync_is_the_connections_state_too(company, fake):
    from dashboard.models import Company, ConnectionStatus

    fake.faults.add(Fault(end_user_id=BAKERY, error="authentication"))
    assert not sync.sync_company(company).ok
    company = Company.objects.get(pk=company.pk)
    assert company.connection_status == ConnectionStatus.ERROR and company.last_checked_at is not None


def test_a_moment_under_a_minute_ago_reads_just_now():
    from dashboard.customer_index.state import ago

    now = timezone.now()
    assert ago(now - timedelta(seconds=5), now) == "just now"
    assert ago(now - timedelta(minutes=5), now) == "5\xa0minutes ago"


def test_the_company_files_own_details_are_read_once_a_day_and_never_its_tax_ids(synced, fake):
    state = CompanySync.objects.get(company=synced)
    held = json.dumps(state.company_file)
    assert (
        state.company_file is not None
        and state.company_file["name"] == "Fulton Street Bakery Group"
        and "PO Box" in held
    )
    assert "123456789" not in held and "ein" not in state.company_file  # the fake's EIN is never kept
    assert sync.sync_company(synced).ok
    assert fake.stats["GET /quickbooks-desktop/company"] == 0  # read already today


def test_the_printed_statement_says_where_to_send_the_money(support_client, synced, fake):
    customer = next(c for c in fake_customers(fake) if c["sublevel"] == 0)
    body = support_client.get(f"/end-users/{BAKERY}/customers/{customer['id']}/activity/").content.decode()
    statement = body.split('aria-label="Statement">', 1)[1].split("</section>", 1)[0]
    company = fake.state.companies[BAKERY].company_file_json()
    assert company["addressForCustomer"]["line2"] in statement and company["phone"] in statement
    assert company["email"] in statement
