"""Who may see what is answered from the cache, and any change in admin that could alter
the answer retires it at once: a cached customer page asks the database for nothing but
the signed-in user and the audit entry it must write."""

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.models import CompanyScope
from tests.conftest import BAKERY, EXAMPLE_ID, make_company

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"


def test_a_customer_page_from_the_copy_reads_the_user_and_the_copy_and_writes_only_its_audit_entry(
    support_client, company, fake
):
    from dashboard.customer_index import sync

    assert sync.sync_company(company).ok
    assert support_client.get(URL).status_code == 200  # the first view marks the company looked at
    with CaptureQueriesContext(connection) as queries:
        assert support_client.get(URL).status_code == 200
    sql = [q["sql"] for q in queries.captured_queries]
    statements = [q.split()[0].upper() for q in sql]
    assert statements.count("INSERT") == 1  # the audit entry: a view without its record is not shown
    assert not {"UPDATE", "DELETE"} & set(statements), sql
    # The user, the copy, and what the dashboard itself keeps of the customer: notes, emails.
    tables = {
        "auth_user",
        "dashboard_indexedcustomer",
        "customer_index_copiedtransaction",
        "dashboard_companysync",
        "dashboard_customernote",
        "dashboard_documentemail",
    }
    for query in sql:
        if query.upper().startswith("SELECT"):
            assert any(f'"{table}"' in query for table in tables), query[:120]


def test_leaving_the_support_group_takes_effect_on_the_next_page(support_client, support_user, company, fake):
    assert support_client.get(URL).status_code == 200
    support_user.groups.clear()
    assert support_client.get(URL).status_code == 403


def test_a_new_scope_takes_effect_on_the_next_page(support_client, support_user, api_key, company, fake):
    other = make_company(api_key, "end_usr_demoBuilders02", "Northwind Builders LLC")
    assert support_client.get(URL).status_code == 200
    scope = CompanyScope.objects.create(user=support_user)
    scope.companies.add(other)
    assert support_client.get(URL).status_code == 404  # out of scope now
    scope.companies.add(company)
    assert support_client.get(URL).status_code == 200


def test_a_company_made_inactive_disappears_at_once(support_client, company, fake):
    assert support_client.get(URL).status_code == 200
    company.is_active = False
    company.save()
    assert support_client.get(URL).status_code == 404


def test_a_group_losing_the_permission_takes_effect_on_the_next_page(support_client, company, fake):
    assert support_client.get(URL).status_code == 200
    Group.objects.get(name="Support").permissions.clear()
    assert support_client.get(URL).status_code == 403
