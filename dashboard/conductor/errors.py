"""What can go wrong when talking to Conductor, as our own small exception hierarchy.

Two families:
- ConductorAPIError: Conductor answered with its error envelope. The fields mirror it
  (type, code, userFacingMessage, message, requestId, integrationCode, status).
- TransportError: no usable answer (connection failed, timed out, or a body that is
  not JSON or not the contract's shape).

No exception here ever holds the secret key: the client builds them from the response
body and its own words only.
"""


class ConductorError(Exception):
    """Base of everything the Conductor client raises."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        user_facing_message: str | None = None,
        request_id: str | None = None,
        integration_code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.type = type
        self.code = code
        self.user_facing_message = user_facing_message
        self.request_id = request_id
        self.integration_code = integration_code

    def __str__(self) -> str:
        parts = [self.message]
        if self.code:
            parts.append(f"code={self.code}")
        if self.status:
            parts.append(f"status={self.status}")
        if self.request_id:
            parts.append(f"request_id={self.request_id}")
        return " ".join(parts)


class ConductorAPIError(ConductorError):
    """Conductor answered with an error envelope."""


class AuthenticationError(ConductorAPIError):
    """The secret key is missing, invalid or revoked (AUTHENTICATION_ERROR)."""


class PermissionDeniedError(ConductorAPIError):
    """The key may not reach this resource (PERMISSION_ERROR)."""


class InvalidRequestError(ConductorAPIError):
    """Conductor rejected the parameters (INVALID_REQUEST_ERROR)."""


class NotFoundError(ConductorAPIError):
    """The object does not exist: Conductor's RESOURCE_MISSING, or QuickBooks' own
    "object not found" reported as an INTEGRATION_ERROR."""


class IntegrationConnectionError(ConductorAPIError):
    """The QuickBooks side is unreachable: computer off, QuickBooks or the Web
    Connector not running, access revoked (INTEGRATION_CONNECTION_ERROR). Only the
    QuickBooks user can fix it; retrying will not help."""


class ConnectionNotSetUpError(IntegrationConnectionError):
    """The end user never finished connecting QuickBooks (INTEGRATION_CONNECTION_NOT_SET_UP)."""


class QuickBooksTimeoutError(IntegrationConnectionError):
    """QuickBooks did not answer Conductor in time (QBD_REQUEST_TIMEOUT)."""


class IntegrationError(ConductorAPIError):
    """QuickBooks rejected the request (INTEGRATION_ERROR)."""


class RateLimitError(ConductorAPIError):
    """Conductor is limiting our requests (HTTP 429); retry_after says when to try again."""

    retry_after: float | None = None


class InternalError(ConductorAPIError):
    """Conductor itself failed (INTERNAL_ERROR)."""


class TransportError(ConductorError):
    """No usable answer from Conductor."""


class ConnectError(TransportError):
    """Conductor could not be reached (DNS, refused, reset)."""


class RequestTimeoutError(TransportError):
    """Conductor did not answer within our own time budget."""


class MalformedResponseError(TransportError):
    """Conductor answered, but not with JSON of the contract's shape."""


_BY_TYPE: dict[str, type[ConductorAPIError]] = {
    "AUTHENTICATION_ERROR": AuthenticationError,
    "PERMISSION_ERROR": PermissionDeniedError,
    "INVALID_REQUEST_ERROR": InvalidRequestError,
    "INTEGRATION_CONNECTION_ERROR": IntegrationConnectionError,
    "INTEGRATION_ERROR": IntegrationError,
    "INTERNAL_ERROR": InternalError,
}

# qbXML status codes meaning "no such object": 1 (no match), 500 (an element
# that could not be found).
_QUICKBOOKS_NOT_FOUND_CODES = {"1", "500"}


def error_class_for(
    error_type: str | None, code: str | None, integration_code: str | None, status: int | None
) -> type[ConductorAPIError]:
    """The most specific exception class for one error envelope."""
    if code == "RESOURCE_MISSING" or status == 404:
        return NotFoundError
    if error_type == "INTEGRATION_ERROR" and integration_code in _QUICKBOOKS_NOT_FOUND_CODES:
        return NotFoundError
    if code == "INTEGRATION_CONNECTION_NOT_SET_UP":
        return ConnectionNotSetUpError
    if code == "QBD_REQUEST_TIMEOUT":
        return QuickBooksTimeoutError
    if status == 429:
        return RateLimitError
    return _BY_TYPE.get(error_type or "", ConductorAPIError)
