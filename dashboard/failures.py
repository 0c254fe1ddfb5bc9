"""The dashboard's own failures: things that go wrong on our side of the wire.

They are not ConductorError subclasses (Conductor did not say them), but a page treats
them alike: dashboard/problems.py turns either kind into the words a person reads.
"""


class DashboardError(Exception):
    """Base of the failures the dashboard itself raises."""

    # Our failures never come with a Conductor request id; pages read it uniformly.
    request_id: str | None = None
    user_facing_message: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KeyUnreadableError(DashboardError):
    """The stored API key cannot be decrypted (ENCRYPTION_KEYS changed), so no call can be made."""


class CompanyBusyError(DashboardError):
    """Every slot of the company's limit stayed taken for the whole wait."""


class DuplicateSourceIdError(DashboardError):
    """A company with this source id exists already, here or in Conductor."""

    def __init__(self, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


class NoPublishableKeyError(DashboardError):
    """Setup links need the API key's publishable key, and it has none."""
