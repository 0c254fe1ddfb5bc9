"""The one table from a failure to the words a person reads.

Pages, the stale-copy banner, the search across companies, the job tree's note, admin
messages and management commands all describe failures from here, so one failure reads
the same wherever it shows up.
"""

import math
import re
from dataclasses import dataclass

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


def problem_for(exc: LookupFailure, company: str = "this company") -> Problem:
    """How a failure reads; `company` is the company's name."""
    if isinstance(exc, errors.NotFoundError):
        return Problem(
            404,
            "Customer not found",
            f"QuickBooks has no customer with this id in {company}.",
            "Check the id (it may have been deleted or merged in QuickBooks), or find the customer from the company page.",
            "QuickBooks has no such record.",
        )
    if isinstance(exc, errors.ConnectionNotSetUpError):
        return Problem(
            503,
            "QuickBooks setup is not finished",
            f"{company} has not finished connecting QuickBooks Desktop to Conductor.",
            "The person at the QuickBooks computer must complete Conductor's setup "
            "(an admin can send them a setup link). Then try again.",
            "QuickBooks setup is not finished.",
        )
    if isinstance(exc, errors.QuickBooksTimeoutError):
        return Problem(
            504,
            "QuickBooks took too long",
            f"QuickBooks Desktop for {company} did not answer in time. It may be busy with another request or a large report.",
            "Wait a minute and try again.",
            "QuickBooks did not answer in time.",
        )
    if isinstance(exc, errors.IntegrationConnectionError):
        return Problem(
            503,
            "QuickBooks is unreachable",
            f"Conductor could not reach QuickBooks Desktop for {company}.",
            "Ask the QuickBooks user to make sure the computer is on, QuickBooks is "
            "open with the company file, and the Web Connector is running. Then try again.",
            "QuickBooks is unreachable right now.",
        )
    if isinstance(exc, errors.AuthenticationError | errors.PermissionDeniedError):
        return Problem(
            502,
            "The Conductor API key was refused",
            f"Conductor did not accept the API key the dashboard uses for {company}, so nothing of "
            f"{company} can be looked up until an admin fixes the key. Trying again will not help.",
            _ASK_ADMIN_ABOUT_KEY,
            "Conductor refused its API key; ask an admin.",
            show_key_link=True,
            retry_helps=False,
        )
    if isinstance(exc, KeyUnreadableError):
        return Problem(
            502,
            "The stored API key cannot be read",
            "The dashboard cannot decrypt the Conductor API key for this company (the encryption key may have changed).",
            "Ask a dashboard admin to enter the API key again.",
            "Its stored API key cannot be read; ask an admin.",
            show_key_link=True,
            retry_helps=False,
        )
    if isinstance(exc, CompanyBusyError):
        return Problem(
            503,
            "Too many lookups for this company right now",
            f"So many lookups for {company} are waiting on QuickBooks, which answers one request at a time, "
            "that this one could not be answered in time.",
            "Wait a few seconds and try again.",
            "QuickBooks is busy with other lookups right now.",
        )
    if isinstance(exc, errors.RequestTimeoutError):
        return Problem(
            504,
            "Conductor did not answer in time",
            "The request to Conductor took longer than the dashboard waits.",
            "Try again in a minute. QuickBooks may be slow to start.",
            "It did not answer in time.",
        )
    if isinstance(exc, errors.ConnectError):
        return Problem(
            502,
            "Conductor could not be reached",
            "The dashboard could not connect to Conductor.",
            "Try again in a minute. If it keeps happening, tell a dashboard admin.",
            "Conductor could not be reached.",
        )
    if isinstance(exc, errors.MalformedResponseError):
        return Problem(
            502,
            "Conductor sent an unreadable answer",
            "Conductor answered, but not in the form the dashboard expects.",
            "Try again. If it keeps happening, tell a dashboard admin and quote the request id below.",
            "Conductor's answer could not be read.",
        )
    if isinstance(exc, errors.RateLimitError):
        wait = rate_limit_wait(exc)
        return Problem(
            503,
            "Conductor is limiting requests",
            f"Conductor is limiting requests right now; try again in {wait} s.",
            f"Wait {wait} seconds and try again.",
            "Conductor is limiting requests right now.",
        )
    if isinstance(exc, errors.InvalidRequestError):
        return Problem(
            400,
            "Conductor could not run this request",
            "Conductor rejected the request as asked (for example a filter QuickBooks does not accept).",
            "Change the search and try again. The message below says what was refused.",
            "Conductor refused the request.",
        )
    if isinstance(exc, errors.IntegrationError):
        return Problem(
            502,
            "QuickBooks refused the request",
            f"QuickBooks Desktop for {company} could not complete the lookup.",
            "Try again. If it keeps happening, quote the request id below to an admin.",
            "QuickBooks refused the request.",
        )
    if isinstance(exc, DuplicateSourceIdError):
        return Problem(
            409,
            "This company exists already",
            exc.message,
            "Use the existing company, or give the new one another source id.",
            "A company with this source id exists already.",
        )
    if isinstance(exc, NoPublishableKeyError):
        return Problem(
            400,
            "Setup links need the publishable key",
            exc.message,
            "Add the API key's publishable key (pk_…) in admin, then try again.",
            "Its API key has no publishable key.",
            show_key_link=True,
        )
    if isinstance(exc, DashboardError):
        return Problem(
            500,
            "The dashboard could not do this",
            exc.message,
            "Try again. If it keeps happening, tell a dashboard admin.",
            "The dashboard could not do this.",
        )
    return Problem(
        502,
        "Conductor reported an error",
        "Conductor could not complete the request.",
        "Try again in a minute. If it keeps happening, quote the request id below to an admin.",
        "Conductor reported an error.",
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
