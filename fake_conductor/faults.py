"""The fake's error answers and the fault switches that produce them on demand."""

import threading
from dataclasses import asdict, dataclass

# name -> (http status, type, code, integrationCode, message, userFacingMessage)
ERRORS = {
    "authentication": (
        401,
        "AUTHENTICATION_ERROR",
        "API_KEY_INVALID",
        None,
        "Invalid API key provided.",
        "An internal server error occurred. Please try again.",
    ),
    "permission": (
        403,
        "PERMISSION_ERROR",
        "PERMISSION_DENIED",
        None,
        "This API key is not allowed to access this end user.",
        "An internal server error occurred. Please try again.",
    ),
    "not_found": (
        502,
        "INTEGRATION_ERROR",
        "QBD_REQUEST_ERROR",
        "500",
        "QBD Request Error (500): The query request has not been fully completed. There was a "
        'required element ("{id}") that could not be found in QuickBooks.',
        "The requested record could not be found in QuickBooks Desktop.",
    ),
    "resource_missing": (
        404,
        "INVALID_REQUEST_ERROR",
        "RESOURCE_MISSING",
        None,
        "No such resource.",
        "The requested resource does not exist.",
    ),
    "invalid_request": (
        400,
        "INVALID_REQUEST_ERROR",
        "INVALID_REQUEST",
        None,
        "Invalid request.",
        "The request was invalid. Please try again.",
    ),
    "qbd_offline": (
        502,
        "INTEGRATION_CONNECTION_ERROR",
        "QBD_CONNECTION_ERROR",
        "0x80040420",
        "QBD Connection Error (0x80040420): The QuickBooks user has denied access.",
        "We could not connect to QuickBooks Desktop. Please make sure QuickBooks is running.",
    ),
    "not_set_up": (
        409,
        "INTEGRATION_CONNECTION_ERROR",
        "INTEGRATION_CONNECTION_NOT_SET_UP",
        None,
        "The end user has not completed the QuickBooks Desktop setup.",
        "QuickBooks Desktop has not been connected yet. Please complete the setup.",
    ),
    "qbd_timeout": (
        504,
        "INTEGRATION_CONNECTION_ERROR",
        "QBD_REQUEST_TIMEOUT",
        None,
        "QuickBooks Desktop did not respond in time.",
        "QuickBooks Desktop is taking too long to respond. Please try again.",
    ),
    "integration": (
        502,
        "INTEGRATION_ERROR",
        "QBD_REQUEST_ERROR",
        "3175",
        "QBD Request Error (3175): There was an error when modifying a Customer list: the record is in use.",
        "This record is in use in QuickBooks Desktop. Please close it and try again.",
    ),
    "internal": (
        500,
        "INTERNAL_ERROR",
        "INTERNAL_SERVER_ERROR",
        None,
        "An internal server error occurred.",
        "An internal server error occurred. Please try again.",
    ),
    "rate_limited": (
        429,
        "INVALID_REQUEST_ERROR",
        "TOO_MANY_REQUESTS",
        None,
        "Too many requests.",
        "Too many requests. Please try again shortly.",
    ),
}

# Non-envelope faults: what a broken network or proxy does.
BODY_FAULTS = ("hang", "drop", "not_json", "bad_shape", "html_error")


@dataclass
class Fault:
    """One rule: requests matching every given field get `error` or `body` after `latency`.

    error: a key of ERRORS; body: one of BODY_FAULTS; times: how many requests it
    applies to (None = until cleared)."""

    customer_id: str | None = None
    end_user_id: str | None = None
    # The path after /v1: exact ("/quickbooks-desktop/customers" is the list, not a
    # retrieve), or a prefix when it ends with "*" ("/quickbooks-desktop/*").
    path: str | None = None
    latency: float = 0.0
    error: str | None = None
    body: str | None = None
    retry_after: int | None = None
    times: int | None = None

    def __post_init__(self) -> None:
        if self.error is not None and self.error not in ERRORS:
            raise ValueError(f"unknown error {self.error!r}; one of {sorted(ERRORS)}")
        if self.body is not None and self.body not in BODY_FAULTS:
            raise ValueError(f"unknown body fault {self.body!r}; one of {BODY_FAULTS}")

    def matches(self, path: str, end_user_id: str | None, customer_id: str | None) -> bool:
        return (
            (self.path is None or path == self.path or (self.path.endswith("*") and path.startswith(self.path[:-1])))
            and (self.end_user_id is None or self.end_user_id == end_user_id)
            and (self.customer_id is None or self.customer_id == customer_id)
        )


class Faults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._rules.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def take(self, path: str, end_user_id: str | None, customer_id: str | None) -> Fault | None:
        """The first matching rule, counting one use of it."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(path, end_user_id, customer_id):
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def describe(self) -> list[dict]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]


class ApiError(Exception):
    def __init__(self, kind: str, message: str | None = None, headers: dict | None = None, **format_args) -> None:
        self.headers = headers
        status, type_, code, integration_code, default_message, user_message = ERRORS[kind]
        self.status = status
        self.body = {
            "message": message or default_message.format(**format_args),
            "userFacingMessage": user_message,
            "type": type_,
            "code": code,
            "httpStatusCode": status,
        }
        if integration_code:
            self.body["integrationCode"] = integration_code
