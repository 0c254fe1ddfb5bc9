"""Addresses the pages link to, built from our own parameters (never by hand in a template)."""

from django.http import HttpRequest, QueryDict
from django.urls import reverse

from dashboard.models import Company


def company_search_url(company: Company, **params: object) -> str:
    """The company's customer list with these search parameters (empty ones left out)."""
    query = QueryDict(mutable=True)
    query.update({name: str(value) for name, value in params.items() if value not in (None, "")})
    url = reverse("company", args=[company.conductor_id])
    return f"{url}?{query.urlencode()}" if query else url


def without_refresh(request: HttpRequest) -> str:
    """This address without ?refresh=1, so a reload or a bookmark does not refresh again."""
    query = request.GET.copy()
    query.pop("refresh", None)
    return f"{request.path}?{query.urlencode()}" if query else request.path
