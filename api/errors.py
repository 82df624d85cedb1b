"""Domain errors with stable codes; api.app maps them to HTTP in one table."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base for errors a user can act on; `code` is stable, `detail` says what to fix."""

    code = "error"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    """Unknown and forbidden objects answer alike."""

    code = "not_found"


class NotSignedIn(DomainError):
    code = "not_signed_in"


class Invalid(DomainError):
    code = "invalid"


class BadInput(DomainError):
    """A request parameter that cannot be read; `field` names it."""

    code = "invalid_input"


class Conflict(DomainError):
    code = "conflict"


class Gone(DomainError):
    """The object existed and was replaced or withdrawn (a revoked badge)."""

    code = "gone"


class TooLarge(DomainError):
    code = "too_large"


class RateLimited(DomainError):
    code = "rate_limited"


STATUS_FOR_ERROR: dict[type[DomainError], int] = {
    NotFound: 404,
    NotSignedIn: 401,
    Invalid: 422,
    BadInput: 400,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    RateLimited: 429,
}


def status_for(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_FOR_ERROR:
            return STATUS_FOR_ERROR[cls]
    return 400
