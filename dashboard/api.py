"""The read-only lookup API for integrations: a phone system's contact matching, a
helpdesk sidebar. One call, `GET /api/v1/lookup?phone=…` (or `email=`, or `name=`),
answers zero, one or many customers with their company, balance, overdue amount and the
address of their page. Its OpenAPI schema is published at /api/v1/openapi.json.

A call carries `Authorization: Bearer <key>` (dashboard/api_tokens.py) and acts as the
key's user: their permission and company scopes. Calls are limited per key
(API_RATE) and audited like pages. Only the local copies are read: an integration never
waits on QuickBooks."""

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.urls import reverse
from ninja import NinjaAPI, Schema
from ninja.errors import HttpError
from ninja.security import HttpBearer
from ninja.throttling import AuthRateThrottle

from dashboard import api_tokens, audit, incoming
from dashboard.lookups import activity
from dashboard.models import ApiToken, AuditAction
from dashboard.permissions import access_for

MAX_MATCHES = 20


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        found = api_tokens.verify(token)
        if found is None:
            return None
        request.user = found.user  # the call acts as the key's user, audit entries too
        return found


api = NinjaAPI(
    title="Customer dashboard lookup API",
    version="1",
    description=__doc__,
    auth=TokenAuth(),
    throttle=[AuthRateThrottle(settings.API_RATE)],
    docs_url=None,  # the interactive page loads its scripts from a CDN: the schema is enough
    urls_namespace="api",
)


class Match(Schema):
    name: str
    full_name: str
    company: str
    company_id: str  # Conductor's end-user id
    customer_id: str  # QuickBooks' ListID
    balance: Decimal | None  # with jobs, exact, as QuickBooks keeps it
    overdue: Decimal | None  # past due, from the copy; None until it holds the company's transactions
    url: str  # the customer's page in the dashboard
    matched_by_spelling: bool  # a name search found it one typo away: ask before trusting it


class LookupAnswer(Schema):
    count: int
    matches: list[Match]
    not_searched: list[str]  # companies whose local copy is not ready: a match there is not found


class Problem(Schema):
    detail: str


@api.get("/lookup", response={200: LookupAnswer, 400: Problem, 403: Problem}, summary="Find customers")
def lookup(request: HttpRequest, phone: str = "", email: str = "", name: str = "") -> LookupAnswer:
    """Customers reached at a phone number (any form, as /call/ reads it), an email
    address (exactly), or by name (as the home search finds it, typos forgiven and said)."""
    user = request.user
    assert isinstance(user, User)  # TokenAuth let the call in
    access = access_for(user)
    if not access.may_view:
        raise HttpError(403, "This key's user may not use the customer dashboard.")
    given = [value for value in (phone, email, name) if value.strip()]
    if len(given) != 1:
        raise HttpError(400, "Give exactly one of phone, email or name.")
    companies = list(access.companies.values())
    today = activity.today()
    if name.strip():
        text = name.strip()[:100]
        if len(text) < 2:
            raise HttpError(400, "A name needs at least two characters.")
        found = incoming.find_by_name(companies, text, today, MAX_MATCHES)
        asked = f"name {text}"
    else:
        try:
            who = incoming.caller(number=phone, email=email)
        except incoming.NotACaller as exc:
            raise HttpError(400, str(exc)) from None
        found = incoming.find(companies, who, today, MAX_MATCHES)
        asked = f"phone {who.shown}" if who.phone_digits else f"email {who.shown}"
    matches, not_searched = found.matches, [company.name for company in found.not_searched]
    audit.record(request, AuditAction.API, target=asked[:300], outcome=f"{len(matches)} match(es)")
    return LookupAnswer(
        count=len(matches),
        matches=[
            Match(
                name=match.hit.name,
                full_name=match.hit.full_name,
                company=match.hit.company.name,
                company_id=match.hit.company.conductor_id,
                customer_id=match.hit.id,
                balance=match.hit.total_balance,
                overdue=match.overdue,
                url=request.build_absolute_uri(
                    reverse("customer", args=[match.hit.company.conductor_id, match.hit.id])
                ),
                matched_by_spelling=match.hit.typo,
            )
            for match in matches
        ],
        not_searched=not_searched,
    )
