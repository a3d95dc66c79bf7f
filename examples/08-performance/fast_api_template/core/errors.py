"""The families of errors that the rules raise: below every layer that raises them.

Each error carries what an API needs to report it (a stable `code`, a `title` and a `detail`
for people) but nothing of HTTP: `api/errors.py` maps each family to a status code, in one
place. `core` raises some of them itself (an invalid token, too many attempts); the errors of
the task tracker's own rules (a project not found, a name taken) are in
`services/exceptions.py`, each a member of one of these families.
"""

from typing import ClassVar


class DomainError(Exception):
    """A business rule refused the operation."""

    code: ClassVar[str] = "domain-error"
    title: ClassVar[str] = "The operation is not allowed"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The thing does not exist, or the acting user may not see it."""

    code = "not-found"
    title = "Not found"


class ConflictError(DomainError):
    """The operation conflicts with the current state of the thing."""

    code = "conflict"
    title = "Conflict with the current state"


class AuthenticationError(DomainError):
    """The request does not prove who makes it."""

    code = "not-authenticated"
    title = "Not authenticated"


class InvalidTokenError(AuthenticationError):
    """A token is malformed, forged, expired, spent or revoked."""

    code = "invalid-token"
    title = "Invalid token"


class PermissionDeniedError(DomainError):
    """The user is known, but this operation needs a role that they do not have."""

    code = "permission-denied"
    title = "Permission denied"


class TooManyAttemptsError(DomainError):
    """Too many attempts (failed logins, registrations) from the account or address, recently."""

    code = "too-many-attempts"
    title = "Too many attempts"

    def __init__(self, retry_after: int, *, attempts: str = "failed logins") -> None:
        super().__init__(f"Too many {attempts}; try again in {retry_after} seconds.")
        self.retry_after = retry_after


class UnavailableError(DomainError):
    """A service that the operation needs (Redis, say) does not answer; try again later."""

    code = "unavailable"
    title = "Temporarily unavailable"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
