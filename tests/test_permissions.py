"""Who may see what is answered from the cache, and any change in admin that could alter
the answer retires it at once: a cached customer page asks the database for nothing but
the signed-in user and the audit entry it must write."""

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dashboard.models import CompanyScope
from tests.conftest import BAKERY, EXAMPLE_ID, make_company

URL = f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/"


def test_a_cached_customer_page_reads_only_the_user_and_writes_only_its_audit_entry(support_client, company, fake):
    assert support_client.get(URL).status_code == 200  # fetched and cached
    # the jobs and activity, which the page's script asks for next, are cached too
    support_client.get(URL + "account/", HTTP_X_FRAGMENT="1")
    with CaptureQueriesContext(connection) as queries:
        assert support_client.get(URL).status_code == 200
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    assert statements.count("SELECT") == 1, [q["sql"][:80] for q in queries.captured_queries]
    assert statements.count("INSERT") == 1  # the audit entry: a view without its record is not shown
    assert len(statements) <= 3  # (SQLite's savepoint pair around the insert, where it has one)


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
