"""The search forms. Their state lives in the query string, so every search is a URL."""

from decimal import Decimal

from django import forms

MATCH_CHOICES = [("contains", "contains"), ("starts", "starts with"), ("ends", "ends with")]
STATUS_CHOICES = [("active", "Active"), ("inactive", "Inactive"), ("all", "All")]
BALANCE_CHOICES = [("", "Any balance"), ("open", "Open balance (over 0)"), ("min", "Balance at least…")]
# Longest QuickBooks full name: 41 characters per level, up to five levels deep.
MAX_FULL_NAME = 209


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label="Name", required=False, max_length=100, strip=True)
    match = forms.ChoiceField(choices=MATCH_CHOICES, required=False)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    balance = forms.ChoiceField(choices=BALANCE_CHOICES, required=False)
    min_balance = forms.DecimalField(
        label="Minimum total balance",
        required=False,
        max_digits=15,
        decimal_places=2,
        min_value=Decimal("-9999999999999"),
        max_value=Decimal("9999999999999"),
    )
    # Our own paging position: the last full name shown. Never Conductor's cursor,
    # which is single-use and expires within seconds.
    after = forms.CharField(required=False, max_length=MAX_FULL_NAME, strip=False, widget=forms.HiddenInput)

    def clean_match(self):
        return self.cleaned_data.get("match") or "contains"

    def clean_status(self):
        return self.cleaned_data.get("status") or "active"

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("balance") == "min" and cleaned.get("min_balance") is None:
            self.add_error("min_balance", "Enter the minimum total balance.")
        return cleaned


class JumpForm(forms.Form):
    """A QuickBooks id or an exact full name."""

    to = forms.CharField(label="Go to customer", max_length=MAX_FULL_NAME, strip=True)


class GlobalSearchForm(forms.Form):
    q = forms.CharField(label="Search all companies", required=False, max_length=100, strip=True)
