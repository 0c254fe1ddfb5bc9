"""The search forms. Their state lives in the query string, so every search is a URL."""

from decimal import Decimal
from typing import Any

from django import forms

from dashboard.lookups.documents import HistoryFilter
from dashboard.lookups.search import Criteria
from dashboard.search_criteria import BalanceFilter, Match, Order, Status

# Longest QuickBooks full name: 41 characters per level, up to five levels deep.
MAX_FULL_NAME = 209


class AmountField(forms.DecimalField):
    """An amount as people type it: "$5,000", "5,000.00", "5000" (the dollar sign,
    thousands separators and spaces are left out before it is read)."""

    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]  # the stubs type it as IntegerField's
        if isinstance(value, str):
            value = value.strip().removeprefix("$").replace(",", "").replace(" ", "")
        return super().to_python(value)


class CustomerSearchForm(forms.Form):
    """The company page's search; the templates draw these widgets as they are."""

    q = forms.CharField(
        label="Name",
        required=False,
        max_length=100,
        strip=True,
        widget=forms.TextInput(
            # No placeholder: the label above says what the box takes (it depends on
            # whether the local copy is ready), and a second wording would disagree.
            attrs={"type": "search", "data-search-box": True}
        ),
    )
    match = forms.ChoiceField(choices=Match.choices, required=False, widget=forms.Select(attrs={"aria-label": "Match"}))
    status = forms.ChoiceField(choices=Status.choices, required=False)
    balance = forms.ChoiceField(choices=BalanceFilter.choices, required=False)
    min_balance = AmountField(
        label="Minimum total balance",
        required=False,
        max_digits=15,
        decimal_places=2,
        min_value=Decimal("-9999999999999"),
        max_value=Decimal("9999999999999"),
        error_messages={
            "invalid": "Enter the minimum balance as an amount, like 250, $5,000 or 1,200.50.",
            "max_decimal_places": "Enter the minimum balance with at most two decimals (cents).",
            "max_digits": "That minimum balance is larger than any balance QuickBooks holds.",
            "max_value": "That minimum balance is larger than any balance QuickBooks holds.",
            "min_value": "That minimum balance is lower than any balance QuickBooks holds.",
        },
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "placeholder": "0.00",
                "aria-label": "Minimum total balance",
                "class": "amount",
            }
        ),
    )
    order = forms.ChoiceField(label="Order by", choices=Order.choices, required=False)
    # Our own paging position: the last full name shown. Never Conductor's cursor,
    # which is single-use and expires within seconds.
    after = forms.CharField(required=False, max_length=MAX_FULL_NAME, strip=False, widget=forms.HiddenInput)
    # Pages of a search answered from the customer index (ranked, not in name order).
    page = forms.IntegerField(required=False, min_value=1, max_value=1000, widget=forms.HiddenInput)
    # Search QuickBooks itself even where the index is ready.
    live = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The amount box belongs to "Balance at least…" only; the page's script shows it
        # when that is chosen (kept when it holds an amount, so nothing typed is hidden).
        wanted = self.data.get("balance") if self.is_bound else self.initial.get("balance")
        if wanted != BalanceFilter.AT_LEAST and not (self.is_bound and self.data.get("min_balance")):
            self.fields["min_balance"].widget.attrs["hidden"] = True

    # A criterion the query string leaves out means its default (search_criteria.py).
    def clean_match(self) -> Match:
        return Match(self.cleaned_data.get("match") or Criteria.match)

    def clean_order(self) -> Order:
        return Order(self.cleaned_data.get("order") or Criteria.order)

    def clean_status(self) -> Status:
        return Status(self.cleaned_data.get("status") or Criteria.status)

    def clean_balance(self) -> BalanceFilter:
        return BalanceFilter(self.cleaned_data.get("balance") or Criteria.balance)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # One message per mistake: an amount that is not a number has its own already.
        if (
            cleaned.get("balance") == BalanceFilter.AT_LEAST
            and cleaned.get("min_balance") is None
            and "min_balance" not in self.errors
        ):
            self.add_error("min_balance", "Enter the minimum total balance.")
        return cleaned

    # A mistake in these leaves the rest of the search worth running: the results stay
    # on the page, the mistaken filter left out and its message beside it.
    OPTIONAL_FILTERS = frozenset({"balance", "min_balance", "order"})

    def usable_despite_errors(self) -> bool:
        return bool(self.errors) and set(self.errors) <= self.OPTIONAL_FILTERS

    def criteria(self) -> Criteria:
        """The search as asked: what the query string leaves out (or gets wrong, for an
        optional filter) at its default; a mistaken balance filter leaves the balance out."""
        if not self.is_bound:
            return Criteria()
        data = self.cleaned_data
        balance_ok = not {"balance", "min_balance"} & set(self.errors)
        return Criteria(
            text=data.get("q", ""),
            match=data.get("match") or Criteria.match,
            status=data.get("status") or Criteria.status,
            balance=data.get("balance") or Criteria.balance if balance_ok else Criteria.balance,
            min_balance=data.get("min_balance") if balance_ok else None,
            order=data.get("order") or Criteria.order,
        )


class JumpForm(forms.Form):
    """A QuickBooks id, an exact full name, or an invoice number."""

    to = forms.CharField(
        label="Go to a customer by QuickBooks id or exact full name, or an invoice by number",
        max_length=MAX_FULL_NAME,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "id": "jump-to",
                "placeholder": "Go to customer or invoice",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )

    def __init__(self, *args: Any, shortcut: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if shortcut:  # this box takes the "/" key on pages without a search box
            self.fields["to"].widget.attrs["data-search-box"] = True


class GlobalSearchForm(forms.Form):
    q = forms.CharField(
        label="Find a customer in all companies",
        required=False,
        max_length=100,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "id": "global-q",
                "data-search-box": True,
                "autofocus": True,
                "placeholder": "Name, phone, email, address…",
            }
        ),
    )


HISTORY_TYPE_CHOICES = [
    ("", "All types"),
    ("invoice", "Invoices"),
    ("receive_payment", "Payments"),
    ("credit_memo", "Credit memos"),
    ("sales_receipt", "Sales receipts"),
    ("estimate", "Estimates"),
    ("sales_order", "Sales orders"),
    ("charge", "Statement charges"),
]
HISTORY_STATUS_CHOICES = [("either", "Open and closed"), ("open", "Open"), ("closed", "Closed")]


class HistoryFilterForm(forms.Form):
    """The activity page's filters; the page number is our own position, never a cursor."""

    type = forms.ChoiceField(label="Type", choices=HISTORY_TYPE_CHOICES, required=False)
    status = forms.ChoiceField(label="Status", choices=HISTORY_STATUS_CHOICES, required=False)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def history_filter(self) -> "HistoryFilter":
        data = self.cleaned_data
        return HistoryFilter(
            transaction_type=data.get("type") or "",
            status=data.get("status") or "either",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class NoteForm(forms.Form):
    """A note written during a call, and optionally a promise to pay (both parts, or neither)."""

    text = forms.CharField(
        label="Note",
        max_length=2000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "data-note-box": True}),
    )
    promise_amount = AmountField(
        label="Promised amount",
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "class": "amount"}),
        error_messages={"invalid": "Enter the amount as a number, like 250 or $1,200.50."},
    )
    promise_date = forms.DateField(
        label="Promised by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the date the customer promised to pay by."},
    )

    def __init__(self, *args: Any, today: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        amount, by = data.get("promise_amount"), data.get("promise_date")
        if amount is not None and by is None and "promise_date" not in self.errors:
            self.add_error("promise_date", "A promise needs the date it is promised by.")
        if by is not None and amount is None and "promise_amount" not in self.errors:
            self.add_error("promise_amount", "A promise needs the amount promised.")
        if by is not None and self.today is not None and by < self.today and not self.initial.get("promise_date"):
            self.add_error("promise_date", "A promise is for today or a later day.")
        return data


class EmailDocumentForm(forms.Form):
    """Where a statement or document goes, and the few words that go with it."""

    to = forms.EmailField(label="To", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    subject = forms.CharField(label="Subject", max_length=200, strip=True)
    message = forms.CharField(
        label="Message", max_length=2000, required=False, strip=True, widget=forms.Textarea(attrs={"rows": 6})
    )
