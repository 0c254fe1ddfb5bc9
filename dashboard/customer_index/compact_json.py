"""QuickBooks' JSON as the local copy keeps it: without its nulls, written without spaces."""

import json
from typing import Any


def compact(value: Any) -> Any:
    """Every null left out (the parsers read a missing key as null, so nothing is lost):
    a copied record is about a third smaller."""
    if isinstance(value, dict):
        return {key: compact(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value


class CompactJSON(json.JSONEncoder):
    """The copy's JSON columns written without spaces after separators."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["separators"] = (",", ":")
        super().__init__(*args, **kwargs)
