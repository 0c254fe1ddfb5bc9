"""The words of a customer search, each with its one default: how a name matches, which
statuses, which balances, in what order. The company page's form, its links, the live
search and the customer index all read them from here."""

from django.db import models


class Match(models.TextChoices):
    CONTAINS = "contains", "contains"
    STARTS = "starts", "starts with"
    ENDS = "ends", "ends with"


class Status(models.TextChoices):
    ACTIVE = "active", "Active"
    INACTIVE = "inactive", "Inactive"
    ALL = "all", "All"


class BalanceFilter(models.TextChoices):
    ANY = "", "Any balance"
    OPEN = "open", "Open balance (over 0)"
    AT_LEAST = "min", "Balance at least…"


class Order(models.TextChoices):
    NAME = "name", "Name"
    BALANCE = "balance", "Balance, largest first"  # from the customer index only


# What a search means when the query string leaves a criterion out: the company page lists
# active customers by name, a name containing the text. Searches that look for one person
# (across companies, the jump box) ask for every status themselves.
DEFAULT_MATCH = Match.CONTAINS
DEFAULT_STATUS = Status.ACTIVE
DEFAULT_BALANCE = BalanceFilter.ANY
DEFAULT_ORDER = Order.NAME
