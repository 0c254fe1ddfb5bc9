import re

import pytest
from django.contrib.auth.models import Group

from dashboard.models import Company, CompanyScope
from tests.conftest import BAKERY, EXAMPLE_ID, make_company, support_group

BUILDERS = "end_usr_demoBuilders02"


@pytest.fixture
def two_companies(api_key):
    return make_company(api_key), make_company(api_key, BUILDERS, "Northwind Builders")


def scope_user(user, *companies):
    scope = CompanyScope.objects.create(user=user)
    scope.companies.set(companies)


def test_an_unrestricted_support_member_sees_every_company(support_user, two_companies):
    assert set(Company.objects.visible_to(support_user)) == set(two_companies)


def test_a_scoped_user_sees_only_their_companies(support_user, two_companies):
    _bakery, builders = two_companies
    scope_user(support_user, builders)
    assert list(Company.objects.visible_to(support_user)) == [builders]


def test_a_group_scope_applies_to_its_members(support_user, two_companies):
    bakery, _builders = two_companies
    group = Group.objects.create(name="Builders team")
    support_user.groups.add(group)
    CompanyScope.objects.create(group=group).companies.set([bakery])
    assert list(Company.objects.visible_to(support_user)) == [bakery]


def test_superusers_are_never_scoped(django_user_model, two_companies):
    root = django_user_model.objects.create_superuser("root", "r@example.com", "pw")
    scope_user(root, two_companies[1])
    assert set(Company.objects.visible_to(root)) == set(two_companies)


def test_outside_the_scope_every_page_is_404_and_calls_nothing(support_client, support_user, two_companies, fake):
    scope_user(support_user, two_companies[1])
    for url in (
        f"/end-users/{BAKERY}/customers/",
        f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/",
        f"/end-users/{BAKERY}/customers/{EXAMPLE_ID}/check/",
        f"/end-users/{BAKERY}/jump/?to={EXAMPLE_ID}",
        f"/end-users/{BAKERY}/customers/?q=a",
    ):
        response = support_client.get(url)
        assert response.status_code == 404, url
        assert "Company not found" in response.content.decode()
    assert fake.stats == {}


def test_outside_the_scope_looks_exactly_like_a_missing_company(support_client, support_user, two_companies, fake):
    scope_user(support_user, two_companies[1])

    def page(end_user_id):
        response = support_client.get(f"/end-users/{end_user_id}/customers/{EXAMPLE_ID}/")
        # the sign-out form's CSRF token differs on every page
        return response.status_code, re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    assert page(BAKERY) == page("end_usr_doesNotExist")


def test_home_and_search_across_companies_leave_out_other_companies(support_client, support_user, two_companies, fake):
    scope_user(support_user, two_companies[1])
    body = support_client.get("/", {"q": "a"}).content.decode()
    assert "Northwind Builders" in body and "Fulton Street Bakery Group" not in body
    assert not re.search(rf"/end-users/{BAKERY}/", body)
    assert "GET /quickbooks-desktop/customers" in fake.stats
    assert fake.stats["GET /quickbooks-desktop/customers"] == 1  # only the builders were asked


def test_a_scope_is_for_a_user_or_a_group_not_both(support_user):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        CompanyScope.objects.create(user=support_user, group=support_group())
