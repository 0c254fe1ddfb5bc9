"""Searching the local index: every field of every company, without a call to QuickBooks.

What a query matches:
- a phone number in any format, by its digits ("(555) 301-4525", "5553014525" and
  "301-4525" all find "+1-555-301-4525");
- otherwise every word of the query, as a fragment of any indexed field (names, company
  and contact names, emails, account number, addresses), through each backend's trigram
  index: FTS5 with the trigram tokenizer on SQLite, pg_trgm on PostgreSQL;
- and, ranked below those, names one small typo away ("Garica" finds Garcia): trigram
  candidates scored with rapidfuzz, since SQLite's FTS has no typo tolerance.

Ranking: the name itself, then a name that starts with the query, then a name or word
that does, then any other match, then typo matches; name order within each.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, F, OrderBy, Q, QuerySet
from django.db.models.expressions import RawSQL
from rapidfuzz import fuzz

from dashboard.customer_index.match_reason import MatchReason, why_matched
from dashboard.customer_index.models import CompanySync, IndexedCustomer
from dashboard.customer_index.rows import digits_of
from dashboard.models import Company
from dashboard.search_criteria import DEFAULT_MATCH, DEFAULT_ORDER, Match, Order, Status

# Rows looked at for one query before ranking: enough for every page a person reads.
MAX_CANDIDATES = 500
# Typo candidates scored per query: the rows sharing the most trigrams with it.
TYPO_CANDIDATES = 300
# Trigrams of the query a typo search looks for at most: a 14-letter word's worth.
MAX_TYPO_TRIGRAMS = 12
# PostgreSQL: how similar a row must be to the query to be a typo candidate.
PG_WORD_SIMILARITY = 0.4
# Typo matches are looked for only when exact matches are this few.
TYPO_WHEN_FEWER_THAN = 3
MIN_PHONE_DIGITS = 4
# A typo match scores at least this (rapidfuzz's 0–100 similarity of a word of the
# query to the closest part of a name).
TYPO_SCORE = 80
_PHONE_LIKE = re.compile(r"[\d\s()+.\-/]+", re.ASCII)


@dataclass(frozen=True)
class Hit:
    """One indexed customer found; attribute names match records.Customer's where a
    result row reads them."""

    company: Company
    id: str
    name: str
    full_name: str
    sublevel: int
    company_name: str | None
    phone: str | None
    email: str | None
    balance: Decimal | None
    total_balance: Decimal | None
    is_active: bool | None
    job_status: str | None
    typo: bool  # found only as a typo match
    reason: MatchReason | None = None  # what matched, when not the name


@dataclass(frozen=True)
class Found:
    hits: list[Hit]
    total: int  # matches in all (at most MAX_CANDIDATES are ranked)


def is_phone_query(text: str) -> bool:
    return bool(_PHONE_LIKE.fullmatch(text.strip())) and len(digits_of(text)) >= MIN_PHONE_DIGITS


def _words(text: str) -> list[str]:
    return [w for w in text.casefold().split() if w]


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _matching(rows: QuerySet[IndexedCustomer], text: str) -> QuerySet[IndexedCustomer]:
    """Rows where every word of `text` is a fragment of the indexed text, or, for a
    phone-like text, where its digits are part of a number."""
    if is_phone_query(text):
        # A phone number by its digits; the text as typed may also be an account
        # number, a postal code or part of an address.
        digits, typed = digits_of(text), text.casefold()
        if connection.vendor == "sqlite":
            typed_ids = _fts_ids("search_text", [typed]) if len(typed) >= 3 else None
            condition = Q(id__in=_fts_ids("phone_digits", [digits]))
            return rows.filter(condition | Q(id__in=typed_ids) if typed_ids is not None else condition)
        return rows.filter(Q(phone_digits__contains=digits) | Q(search_text__contains=typed))
    words = _words(text)
    long_words = [w for w in words if len(w) >= 3]
    if connection.vendor == "sqlite" and long_words:
        rows = rows.filter(id__in=_fts_ids("search_text", long_words))
        words = [w for w in words if len(w) < 3]
    for word in words:
        rows = rows.filter(search_text__contains=word)  # lower-case already, as the text
    return rows


_FTS = "SELECT rowid FROM dashboard_indexedcustomer_fts WHERE dashboard_indexedcustomer_fts MATCH %s"


def _fts_ids(column: str, fragments: list[str]) -> RawSQL:
    """A subquery of ids from SQLite's FTS5 trigram index: every fragment a substring of
    `column` (the fragments are bound as one parameter, quoted as FTS5 strings)."""
    return RawSQL(_FTS, [" AND ".join(f"{column} : {_fts_phrase(f)}" for f in fragments)])


def _typo_candidates(rows: QuerySet[IndexedCustomer], text: str) -> list[IndexedCustomer]:
    """The rows sharing the most trigrams with the query's words: where a typo match can
    be (FTS5's rank on SQLite, pg_trgm's word similarity on PostgreSQL)."""
    words = [w for w in _words(text) if len(w) >= 4 and w.isalpha()]
    # The first MAX_TYPO_TRIGRAMS only: a long query (every name of a family, a pasted
    # paragraph) would otherwise rank every row sharing any of hundreds of trigrams.
    trigrams = list(dict.fromkeys(w[i : i + 3] for w in words for i in range(len(w) - 2)))[:MAX_TYPO_TRIGRAMS]
    if not trigrams:
        return []
    if connection.vendor == "sqlite":
        query = " OR ".join(f"search_text : {_fts_phrase(t)}" for t in trigrams)
        best = RawSQL(_FTS + " ORDER BY rank LIMIT %s", [query, TYPO_CANDIDATES * 4])
        return list(rows.filter(id__in=best)[:TYPO_CANDIDATES])
    # pg_trgm's word similarity operator, answered from the GIN index; "Garica" is 0.43
    # similar to "garcia, maya", so the threshold is lowered from its 0.6 default.
    with connection.cursor() as cursor:
        cursor.execute("SET pg_trgm.word_similarity_threshold = %s", [PG_WORD_SIMILARITY])
    typed = " ".join(words)[: MAX_TYPO_TRIGRAMS + 2]
    similar = RawSQL("%s <%% dashboard_indexedcustomer.search_text", [typed], output_field=BooleanField())
    return list(rows.filter(similar)[:TYPO_CANDIDATES])


def _rank(row: IndexedCustomer, text: str) -> int:
    query, name = text.casefold().strip(), row.name.casefold()
    if name == query:
        return 0
    if name.startswith(query):
        return 1
    if any(part.startswith(query) for part in re.split(r"[\s,:.@]+", row.search_text)):
        return 2
    return 3


def _typo_score(row: IndexedCustomer, text: str) -> float:
    names = " ".join(filter(None, [row.full_name, row.company_name])).casefold()
    return min(fuzz.partial_ratio(word, names) for word in _words(text) if len(word) >= 4)


def search(
    companies: list[Company],
    text: str,
    *,
    status: Status,
    match: Match = DEFAULT_MATCH,
    min_total_balance: Decimal | None = None,
    open_balance: bool = False,
    order: Order = DEFAULT_ORDER,
    offset: int = 0,
    limit: int = 50,
    explain: bool = True,
) -> Found:
    """Customers of `companies` (already limited to what the user may see) matching
    `text`, best first; an empty text lists by name. `order="balance"` puts the largest
    total balance first instead (then name). `explain`: each hit says what matched
    (with_reasons); a caller that shows only some of them asks that of those itself."""
    # The record is read only for the rows shown (why_matched), not for every candidate.
    rows = IndexedCustomer.objects.filter(company__in=companies).select_related("company").defer("record")
    if status == Status.ACTIVE:
        rows = rows.filter(is_active=True)
    elif status == Status.INACTIVE:
        rows = rows.filter(is_active=False)
    if open_balance:
        rows = rows.filter(total_balance__gt=0)
    if min_total_balance is not None:
        rows = rows.filter(total_balance__gte=min_total_balance)
    text = text.strip()
    if text and match in ("starts", "ends"):
        # The name itself, as QuickBooks' own nameStartsWith / nameEndsWith.
        lookup = "name__istartswith" if match == "starts" else "name__iendswith"
        ordered = rows.filter(**{lookup: text}).order_by(*_order_by(order))
        return Found([_hit(r, False) for r in ordered[offset : offset + limit]], ordered.count())
    if not text:
        ordered = rows.order_by(*_order_by(order))
        return Found([_hit(r, False) for r in ordered[offset : offset + limit]], ordered.count())

    exact = list(_matching(rows, text)[:MAX_CANDIDATES])
    exact.sort(key=lambda r: (_rank(r, text), r.full_name.casefold(), r.company_id))
    found = [(r, False) for r in exact]
    if len(exact) < TYPO_WHEN_FEWER_THAN and not is_phone_query(text):
        seen = {r.pk for r in exact}
        candidates = [r for r in _typo_candidates(rows, text) if r.pk not in seen]
        scored = [(score, r) for r in candidates if (score := _typo_score(r, text)) >= TYPO_SCORE]
        scored.sort(key=lambda pair: (-pair[0], pair[1].full_name.casefold()))
        found += [(r, True) for _, r in scored[:MAX_CANDIDATES]]
    if order == "balance":
        found.sort(key=lambda pair: _by_balance(pair[0]))
    shown = [_hit(r, typo) for r, typo in found[offset : offset + limit]]
    return Found(with_reasons(shown, text) if explain else shown, len(found))


def by_contact(companies: list[Company], *, phone_digits: str = "", email: str = "") -> list[Hit]:
    """Customers of `companies` reached at a number or an address, exactly: a stored
    number holding `phone_digits` (a caller's national number: "5553014525" is in
    "+1-555-301-4525"), or `email` as one of the record's addresses, not a part of one.
    By name; at most MAX_CANDIDATES."""
    rows = IndexedCustomer.objects.filter(company__in=companies).select_related("company").defer("record")
    sqlite = connection.vendor == "sqlite"
    if phone_digits:
        wanted = phone_digits
        number = (
            Q(id__in=_fts_ids("phone_digits", [phone_digits])) if sqlite else Q(phone_digits__contains=phone_digits)
        )
        rows = rows.filter(number)
    else:
        wanted = email.casefold()
        fragment = Q(id__in=_fts_ids("search_text", [wanted])) if sqlite else Q(search_text__contains=wanted)
        rows = rows.filter(Q(email__iexact=email) | fragment)
    found = [
        row
        for row in rows.order_by("full_name", "company_id")[:MAX_CANDIDATES]
        # A fragment is not an address: "bob@x.com" is not in "jimbob@x.com".
        if phone_digits or row.email.casefold() == wanted or wanted in row.search_text.split(" ")
    ]
    return with_reasons([_hit(row, False) for row in found], wanted)


def with_reasons(hits: list[Hit], text: str) -> list[Hit]:
    """The hits with what matched each (why_matched), from their copied records: one
    query, for the rows a page shows only."""
    ids = [(hit.company.pk, hit.id) for hit in hits if not hit.typo]
    if not ids:
        return hits
    query = Q()
    for company_pk, customer_id in ids:
        query |= Q(company_id=company_pk, customer_id=customer_id)
    records = {
        (company_pk, customer_id): record
        for company_pk, customer_id, record in IndexedCustomer.objects.filter(query).values_list(
            "company_id", "customer_id", "record"
        )
    }
    phone_query = is_phone_query(text)
    return [
        hit
        if hit.typo
        else replace(
            hit,
            reason=why_matched(records.get((hit.company.pk, hit.id)), hit.full_name, text, phone_query=phone_query),
        )
        for hit in hits
    ]


@dataclass(frozen=True)
class IndexedCopy:
    """What the index holds of one customer, for a page QuickBooks cannot answer now."""

    hit: Hit
    as_of: datetime  # the index was in step with QuickBooks then (or read this row then)


def indexed_customer(company: Company, customer_id: str) -> IndexedCopy | None:
    row = IndexedCustomer.objects.filter(company=company, customer_id=customer_id).select_related("company").first()
    if row is None:
        return None
    state = CompanySync.objects.filter(company=company).first()
    in_step_at = state.in_step_at if state else None
    return IndexedCopy(_hit(row, False), max(row.seen_at, in_step_at) if in_step_at else row.seen_at)


def _order_by(order: str) -> tuple[OrderBy | str, ...]:
    if order == "balance":
        return (F("total_balance").desc(nulls_last=True), "full_name", "company_id")
    return ("full_name", "company_id")


def _by_balance(row: IndexedCustomer) -> tuple[bool, Decimal, str, int]:
    """Largest total balance first, unknown balances last, then by name."""
    balance = row.total_balance
    return (balance is None, -(balance or Decimal(0)), row.full_name.casefold(), row.company_id)


def _hit(row: IndexedCustomer, typo: bool) -> Hit:
    return Hit(
        company=row.company,
        id=row.customer_id,
        name=row.name,
        full_name=row.full_name,
        sublevel=row.sublevel,
        company_name=row.company_name or None,
        phone=row.phone or None,
        email=row.email or None,
        # Stored with eight decimal places: shown as QuickBooks sent them ("24.43").
        balance=_as_sent(row.balance),
        total_balance=_as_sent(row.total_balance),
        is_active=row.is_active,
        job_status=row.job_status or None,
        typo=typo,
    )


def _as_sent(amount: Decimal | None) -> Decimal | None:
    """Without the trailing zeros the column's fixed scale added (money() shows at
    least two decimals again)."""
    return None if amount is None else amount.normalize()
