"""One error tree for the whole framework.

Every error that FastMVC raises on purpose is a :class:`FastMVCError`. Each
class carries the HTTP status and the ``responseKey`` that the exception
handlers put in the error envelope, so code below the controller raises plain
Python exceptions and never imports FastAPI.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

__all__ = [
    "BadRequestError",
    "ConflictError",
    "FastMVCError",
    "FieldError",
    "FilterError",
    "ForbiddenError",
    "InternalError",
    "NotFoundError",
    "PayloadTooLargeError",
    "RateLimitedError",
    "ServiceUnavailableError",
    "UnauthorizedError",
    "ValidationFailedError",
]

FieldError = Mapping[str, Any]
"""One entry of the envelope's ``errors`` list: ``{"field", "message", "type"}``."""


class FastMVCError(Exception):
    """Root of every error FastMVC raises on purpose.

    Attributes:
        status_code: The HTTP status the error maps to.
        response_key: The machine-readable ``responseKey`` of the envelope.
        message: The human-readable ``responseMessage``.
        errors: Optional per-field details for the envelope's ``errors`` list.
        headers: Extra response headers (``WWW-Authenticate``, ``Retry-After``…).
    """

    status_code: ClassVar[int] = 500
    response_key: ClassVar[str] = "error_internal"
    default_message: ClassVar[str] = "Internal server error"

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        response_key: str | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.errors = list(errors) if errors is not None else None
        self.headers = dict(headers) if headers else {}
        if response_key is not None:
            self.response_key = response_key  # type: ignore[misc]
        super().__init__(self.message)


class BadRequestError(FastMVCError):
    """The request is malformed: an unknown filter field, a bad cursor…"""

    status_code = 400
    response_key = "error_bad_request"
    default_message = "Bad request"


class FilterError(BadRequestError):
    """A filter, sort or pagination parameter names something we cannot query."""

    response_key = "error_invalid_filter"
    default_message = "Invalid filter"


class UnauthorizedError(FastMVCError):
    """No valid credentials. Always answered with ``WWW-Authenticate: Bearer``."""

    status_code = 401
    response_key = "error_unauthorized"
    default_message = "Not authenticated"

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class ForbiddenError(FastMVCError):
    """Authenticated, but not allowed to do this."""

    status_code = 403
    response_key = "error_forbidden"
    default_message = "Forbidden"


class NotFoundError(FastMVCError):
    """The addressed resource does not exist (or is soft-deleted)."""

    status_code = 404
    response_key = "error_not_found"
    default_message = "Not found"


class ConflictError(FastMVCError):
    """A uniqueness clash or a stale optimistic-locking version."""

    status_code = 409
    response_key = "error_conflict"
    default_message = "Conflict"


class PayloadTooLargeError(FastMVCError):
    """The request body is larger than the configured limit."""

    status_code = 413
    response_key = "error_payload_too_large"
    default_message = "Request body too large"


class ValidationFailedError(FastMVCError):
    """The input did not validate; ``errors`` lists each field."""

    status_code = 422
    response_key = "error_validation"
    default_message = "Validation failed"


class RateLimitedError(FastMVCError):
    """Too many requests in one of the limiter's windows."""

    status_code = 429
    response_key = "error_rate_limited"
    default_message = "Too many requests"


class InternalError(FastMVCError):
    """An unexpected failure. The envelope never carries its details."""


class ServiceUnavailableError(FastMVCError):
    """A dependency (database, Redis) is down."""

    status_code = 503
    response_key = "error_service_unavailable"
    default_message = "Service unavailable"
