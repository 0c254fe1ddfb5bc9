"""The one table from a failure to the words a person reads.

Pages, the stale-copy banner, the search across companies, the job tree's note, admin
messages and management commands all describe failures from here, so one failure reads
the same wherever it shows up.
"""

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from dashboard.conductor import errors
from dashboard.failures import (
    CompanyBusyError,
    DashboardError,
    DuplicateSourceIdError,
    KeyUnreadableError,
    NoPublishableKeyError,
)

# Everything a lookup may raise that a page explains instead of crashing.
LOOKUP_FAILURES = (errors.ConductorError, DashboardError)
type LookupFailure = errors.ConductorError | DashboardError


@dataclass(frozen=True)
class Problem:
    status: int  # the page's HTTP status
    title: str
    explanation: str  # what happened, naming the company
    next_step: str  # what the person can do now
    summary: str  # one short sentence, for a line in a list or a banner
    show_key_link: bool = False  # an admin can fix it at the API key
    retry_helps: bool = True  # whether trying again can change anything


_ASK_ADMIN_ABOUT_KEY = "Ask a dashboard admin to check the Conductor API key for this company."

# Failure type -> how it reads. In the explanation "{company}" is the company's name and
# "{message}" the failure's own message (our own failures say what happened). A type
# whose words depend on the failure itself has an explainer below instead. problem_for
# walks the failure's classes, most specific first, so a subclass has words of its own
# only where it is listed: the order of the table decides nothing.
_WORDS: dict[type[BaseException], Problem] = {
    errors.ConnectionNotSetUpError: Problem(
        503,
        "QuickBooks setup is not finished",
        "{company} has not finished connecting QuickBooks Desktop to Conductor.",
        "The person at the QuickBooks computer must complete Conductor's setup "
        "(an admin can send them a setup link). Then try again.",
        "QuickBooks setup is not finished.",
    ),
    errors.QuickBooksTimeoutError: Problem(
        504,
        "QuickBooks took too long",
        "QuickBooks Desktop for {company} did not answer in time. It may be busy with another request or a large report.",
        "Wait a minute and try again.",
        "QuickBooks did not answer in time.",
    ),
    errors.IntegrationConnectionError: Problem(
        503,
        "QuickBooks is unreachable",
        "Conductor could not reach QuickBooks Desktop for {company}.",
        "Ask the QuickBooks user to make sure the computer is on, QuickBooks is "
        "open with the company file, and the Web Connector is running. Then try again.",
        "QuickBooks is unreachable right now.",
    ),
    errors.AuthenticationError: Problem(
        502,
        "The Conductor API key was refused",
        "Conductor did not accept the API key the dashboard uses for {company}, so nothing of "
        "{company} can be looked up until an admin fixes the key. Trying again will not help.",
        _ASK_ADMIN_ABOUT_KEY,
        "Conductor refused its API key; ask an admin.",
        show_key_link=True,
        retry_helps=False,
    ),
    KeyUnreadableError: Problem(
        502,
        "The stored API key cannot be read",
        "The dashboard cannot decrypt the Conductor API key for this company (the encryption key may have changed).",
        "Ask a dashboard admin to enter the API key again.",
        "Its stored API key cannot be read; ask an admin.",
        show_key_link=True,
        retry_helps=False,
    ),
    CompanyBusyError: Problem(
        503,
        "Too many lookups for this company right now",
        "So many lookups for {company} are waiting on QuickBooks, which answers one request at a time, "
        "that this one could not be answered in time.",
        "Wait a few seconds and try again.",
        "QuickBooks is busy with other lookups right now.",
    ),
    errors.RequestTimeoutError: Problem(
        504,
        "Conductor did not answer in time",
        "The request to Conductor took longer than the dashboard waits.",
        "Try again in a minute. QuickBooks may be slow to start.",
        "It did not answer in time.",
    ),
    errors.ConnectError: Problem(
        502,
        "Conductor could not be reached",
        "The dashboard could not connect to Conductor.",
        "Try again in a minute. If it keeps happening, tell a dashboard admin.",
        "Conductor could not be reached.",
    ),
    errors.MalformedResponseError: Problem(
        502,
        "Conductor sent an unreadable answer",
        "Conductor answered, but not in the form the dashboard expects.",
        "Try again. If it keeps happening, tell a dashboard admin and quote the request id below.",
        "Conductor's answer could not be read.",
    ),
    errors.InvalidRequestError: Problem(
        400,
        "Conductor could not run this request",
        "Conductor rejected the request as asked (for example a filter QuickBooks does not accept).",
        "Change the search and try again. The message below says what was refused.",
        "Conductor refused the request.",
    ),
    errors.IntegrationError: Problem(
        502,
        "QuickBooks refused the request",
        "QuickBooks Desktop for {company} could not complete the lookup.",
        "Try again. If it keeps happening, quote the request id below to an admin.",
        "QuickBooks refused the request.",
    ),
    DuplicateSourceIdError: Problem(
        409,
        "This company exists already",
        "{message}",
        "Use the existing company, or give the new one another source id.",
        "A company with this source id exists already.",
    ),
    NoPublishableKeyError: Problem(
        400,
        "Setup links need the publishable key",
        "{message}",
        "Add the API key's publishable key (pk_…) in admin, then try again.",
        "Its API key has no publishable key.",
        show_key_link=True,
    ),
    DashboardError: Problem(
        500,
        "The dashboard could not do this",
        "{message}",
        "Try again. If it keeps happening, tell a dashboard admin.",
        "The dashboard could not do this.",
    ),
    errors.ConductorError: Problem(
        502,
        "Conductor reported an error",
        "Conductor could not complete the request.",
        "Try again in a minute. If it keeps happening, quote the request id below to an admin.",
        "Conductor reported an error.",
    ),
}
_WORDS[errors.PermissionDeniedError] = _WORDS[errors.AuthenticationError]

type Explainer = Callable[[Any, str, str], Problem]
_EXPLAINERS: dict[type[BaseException], Explainer] = {}


def _explains(kind: type[BaseException]) -> Callable[[Explainer], Explainer]:
    def register(explainer: Explainer) -> Explainer:
        _EXPLAINERS[kind] = explainer
        return explainer

    return register


def problem_for(exc: LookupFailure, company: str = "this company", thing: str = "customer") -> Problem:
    """How a failure reads; `company` is the company's name, `thing` what was looked up
    ("customer", "invoice"…)."""
    for kind in type(exc).__mro__:
        if explainer := _EXPLAINERS.get(kind):
            return explainer(exc, company, thing)
        if words := _WORDS.get(kind):
            return replace(words, explanation=words.explanation.format(company=company, message=exc.message))
    raise TypeError(f"no words for {type(exc).__name__}")  # LookupFailure's bases are all listed


@_explains(errors.NotFoundError)
def _not_found(exc: errors.NotFoundError, company: str, thing: str) -> Problem:
    if thing == "customer":
        next_step = "Check the id (it may have been deleted or merged in QuickBooks), or find the customer from the company page."
    else:
        next_step = (
            f"Check the id: the {thing} may have been deleted in QuickBooks, or the id belongs to another kind "
            "of transaction. The customer's activity lists every transaction."
        )
    return Problem(
        404,
        f"{thing[:1].upper()}{thing[1:]} not found",
        f"QuickBooks has no {thing} with this id in {company}.",
        next_step,
        f"QuickBooks has no such {thing}.",
        retry_helps=False,  # asking again finds nothing more: the search is the way on
    )


@_explains(errors.RateLimitError)
def _rate_limited(exc: errors.RateLimitError, company: str, thing: str) -> Problem:
    wait = rate_limit_wait(exc)
    return Problem(
        503,
        "Conductor is limiting requests",
        f"Conductor is limiting requests right now; try again in {wait} s.",
        f"Wait {wait} seconds and try again.",
        "Conductor is limiting requests right now.",
    )


# Messages that say only that something failed: quoting them adds nothing to our own words.
_SAYS_NOTHING = {
    "an error occurred",
    "an internal server error occurred",
    "an unexpected error occurred",
    "bad request",
    "error",
    "forbidden",
    "internal server error",
    "please try again",
    "please try again later",
    "something went wrong",
    "unauthorized",
    "unknown error",
}


def worth_quoting(message: str | None, problem: Problem) -> str | None:
    """Conductor's user-facing message, when it says more than that something failed."""
    if not message or not message.strip():
        return None
    # "An internal server error occurred. Please try again." is two sentences of nothing.
    sentences = [" ".join(part.casefold().split()) for part in re.split(r"[.!]+", message)]
    meaningful = [s for s in sentences if s and s not in _SAYS_NOTHING and s != problem.title.casefold()]
    return message.strip() if meaningful else None


def rate_limit_wait(exc: errors.RateLimitError) -> int:
    """Whole seconds to wait: Conductor's Retry-After, or a minute when it gave none."""
    return math.ceil(exc.retry_after) if exc.retry_after else 60


def in_its_own_words(exc: LookupFailure) -> str:
    """What the failure said: Conductor's user-facing words when it sent some, else its
    message (written for admins), or our own failure's message."""
    return exc.user_facing_message or exc.message


def for_admins(exc: LookupFailure) -> str:
    """One line for an admin message or a command's output: the failure in its own
    words and the request id to quote."""
    suffix = f" (Conductor request {exc.request_id})" if exc.request_id else ""
    return f"{in_its_own_words(exc)}{suffix}"
