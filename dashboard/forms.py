"""The search forms. Their state lives in the query string, so every search is a URL."""

from decimal import Decimal
from typing import Any

from django import forms

MATCH_CHOICES = [("contains", "contains"), ("starts", "starts with"), ("ends", "ends with")]
STATUS_CHOICES = [("active", "Active"), ("inactive", "Inactive"), ("all", "All")]
BALANCE_CHOICES = [("", "Any balance"), ("open", "Open balance (over 0)"), ("min", "Balance at least…")]
# Longest QuickBooks full name: 41 characters per level, up to five levels deep.
MAX_FULL_NAME = 209


class CustomerSearchForm(forms.Form):
    """The company page's search; the templates draw these widgets as they are."""

    q = forms.CharField(
        label="Name",
        required=False,
        max_length=100,
        strip=True,
        widget=forms.TextInput(
            attrs={"type": "search", "data-search-box": True, "placeholder": "Customer or job name"}
        ),
    )
    match = forms.ChoiceField(choices=MATCH_CHOICES, required=False, widget=forms.Select(attrs={"aria-label": "Match"}))
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    balance = forms.ChoiceField(choices=BALANCE_CHOICES, required=False)
    min_balance = forms.DecimalField(
        label="Minimum total balance",
        required=False,
        max_digits=15,
        decimal_places=2,
        min_value=Decimal("-9999999999999"),
        max_value=Decimal("9999999999999"),
        widget=forms.TextInput(
            attrs={
                "inputmode": "decimal",
                "placeholder": "0.00",
                "aria-label": "Minimum total balance",
                "class": "amount",
            }
        ),
    )
    # Our own paging position: the last full name shown. Never Conductor's cursor,
    # which is single-use and expires within seconds.
    after = forms.CharField(required=False, max_length=MAX_FULL_NAME, strip=False, widget=forms.HiddenInput)

    def clean_match(self) -> str:
        return str(self.cleaned_data.get("match") or "contains")

    def clean_status(self) -> str:
        return str(self.cleaned_data.get("status") or "active")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("balance") == "min" and cleaned.get("min_balance") is None:
            self.add_error("min_balance", "Enter the minimum total balance.")
        return cleaned


class JumpForm(forms.Form):
    """A QuickBooks id or an exact full name."""

    to = forms.CharField(
        label="Go to customer by QuickBooks id or exact full name",
        max_length=MAX_FULL_NAME,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "id": "jump-to",
                "placeholder": "Go to: id or Customer:Job full name",
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
        label="Search customers in all companies",
        required=False,
        max_length=100,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "id": "global-q",
                "data-search-box": True,
                "autofocus": True,
                "placeholder": "Part of a customer or job name",
            }
        ),
    )
