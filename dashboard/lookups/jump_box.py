"""The jump box: what a pasted text leads to, a customer (by QuickBooks id, exact full
name or the one name that matches), an invoice by its number, several invoices, a
search, or nothing.

The local copy answers names where it is ready, and invoice numbers it holds, without
asking QuickBooks; a full name and an invoice number are otherwise asked side by side. A text that cannot be an
invoice number (too long, control characters) is never sent as one.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from dashboard import identifiers
from dashboard.caching.side_by_side import start_lookup
from dashboard.conductor.transactions import Document
from dashboard.customer_index import local_copy
from dashboard.customer_index import search as customer_index
from dashboard.lookups import documents, search
from dashboard.models import Company
from dashboard.search_criteria import Status


class Landing(StrEnum):
    CUSTOMER = "customer"  # customer_id
    INVOICE = "invoice"  # invoices[0]
    INVOICES = "invoices"  # several invoices with the number
    SEARCH = "search"  # several customers' names contain `name_part`
    NOTHING = "nothing"  # no customer or invoice: a search for `name_part` offered


@dataclass(frozen=True)
class Jump:
    landing: Landing
    outcome: str  # for the audit trail
    customer_id: str = ""
    invoices: tuple[Document, ...] = ()
    name_part: str = ""  # the last part of a full name, for a name search
    request_id: str | None = None  # Conductor's, when a call found the customer


# A prefix people say before a number, then the number (a digit first: "Investments"
# is a name, not invoice "estments").
_NUMBER_PREFIX = re.compile(r"(?:#|inv(?:oice)?[\s.#:-]*)\s*(?P<number>\d\S*)", re.IGNORECASE)


def bare_invoice_number(wanted: str) -> str | None:
    """QuickBooks' own number in the forms people say it: "#1028", "INV-1028",
    "Invoice 1028" → "1028"; None when `wanted` has no such prefix."""
    matched = _NUMBER_PREFIX.fullmatch(wanted.strip())
    return matched["number"].strip() if matched else None


def _start_invoice_lookup(company: Company, number: str) -> Callable[[], tuple[Document, ...]] | None:
    """The invoices with exactly this number, from the copy when it holds them, else
    asked of QuickBooks on a thread of its own; None for a text that cannot be a number."""
    if identifiers.ref_number_problem(number) is not None:
        return None
    # The copy holds every open invoice and the window's others: an older, settled one
    # is asked of QuickBooks.
    if local_copy.transactions_ready(company) is not None:
        copied = tuple(local_copy.invoices_numbered(company, number))
        if copied:
            return lambda: copied
    call = start_lookup(documents.find_invoices_by_number, company.conductor(), number)
    return lambda: tuple(call.result())


def resolve(company: Company, wanted: str) -> Jump:
    """Where `wanted` leads in this company. Raises what the lookups raise
    (problems.LOOKUP_FAILURES)."""
    if identifiers.is_valid_customer_id(wanted):
        return Jump(Landing.CUSTOMER, "ok", customer_id=identifiers.canonical_customer_id(wanted))
    indexed = search.index_in_step([company]).get(company.pk) is not None
    if indexed and (indexed_id := search.find_in_index(company, wanted)):
        return Jump(Landing.CUSTOMER, "customer (index)", customer_id=indexed_id)
    by_number = _start_invoice_lookup(company, wanted)
    # An indexed company's names are all in the index: only the invoice number is asked.
    found = None if indexed else search.find_by_full_name(company, wanted)
    invoices = by_number() if by_number else ()
    if found is not None:
        return Jump(Landing.CUSTOMER, "customer", customer_id=found.id, request_id=found.request_id)
    if not invoices and (bare := bare_invoice_number(wanted)) and (again := _start_invoice_lookup(company, bare)):
        # "#1028" or "INV-1028" for QuickBooks' own 1028, asked only when the number as
        # typed found nothing: an exact number always wins.
        invoices = again()
    if invoices:
        landing = Landing.INVOICE if len(invoices) == 1 else Landing.INVOICES
        return Jump(landing, f"{len(invoices)} invoice(s)", invoices=invoices)
    # Name searches match a customer's own name, the last part of a full name: one
    # match is the customer, several are a search (from the index where it is ready,
    # else with one more question to QuickBooks).
    name_part = wanted.rsplit(":", 1)[-1].strip()[:100]
    if name_part:
        by_spelling = False
        if indexed:
            hits = customer_index.search([company], name_part, status=Status.ALL, limit=2, explain=False).hits
            matches, by_spelling = [hit.id for hit in hits], any(hit.typo for hit in hits)
        else:
            matches = [c.id for c in search.first_name_matches(company, name_part)]
        if len(matches) == 1 and not by_spelling:
            return Jump(Landing.CUSTOMER, "customer (one name matched)", customer_id=matches[0])
        if by_spelling:
            # "Larson" must not open Larsen unannounced: the list says it matched by spelling.
            return Jump(Landing.SEARCH, "matched by spelling", name_part=name_part)
        if matches:
            return Jump(Landing.SEARCH, "several names matched", name_part=name_part)
    return Jump(Landing.NOTHING, "no match", name_part=name_part)
