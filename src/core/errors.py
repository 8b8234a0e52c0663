"""Domain errors: what handlers raise when a use case cannot complete.

They carry no HTTP machinery beyond a status and a stable `code`; `core.http.problems` turns
them into RFC 9457 responses in one place. Handlers raise them for failures (a missing
resource, a conflict), never to steer normal outcomes.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec
from msgspec import Meta

__all__ = (
    "Conflict",
    "DomainError",
    "FieldError",
    "Forbidden",
    "InsufficientScope",
    "InvalidInput",
    "Location",
    "MfaRequired",
    "NotFound",
    "PreconditionFailed",
    "ServiceUnavailable",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
)


type Location = Literal["body", "query", "path", "header", "cookie"]


class FieldError(msgspec.Struct, frozen=True):
    """One invalid input: where it is (`pointer`, in `location`) and what is wrong."""

    pointer: Annotated[str, Meta(description="JSON Pointer (URI fragment form) to the value, e.g. #/name")]
    detail: Annotated[str, Meta(description="What is wrong with it")]
    location: Annotated[Location, Meta(description="Where the value was sent")] = "body"


class DomainError(Exception):
    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    title: ClassVar[str] = "Bad request"

    def __init__(self, detail: str, *, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code  # type: ignore[misc]  # an instance may name a more precise code


class InvalidInput(DomainError):
    status = 400
    code = "validation_failed"
    title = "Invalid input"

    def __init__(self, detail: str, *, errors: tuple[FieldError, ...] = (), code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.errors = errors


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class InsufficientScope(Forbidden):
    """An API key without the scope a route needs (RFC 6750 section 3.1)."""

    code = "insufficient_scope"

    def __init__(self, detail: str, *, scope: str) -> None:
        super().__init__(detail)
        self.scope = scope


class MfaRequired(Forbidden):
    """The password was right, and the account signs in with a second factor too: the
    login goes on with `mfa_token` and a code (403 `mfa_required`)."""

    code = "mfa_required"

    def __init__(self, detail: str, *, mfa_token: str, expires_in: int) -> None:
        super().__init__(detail)
        self.mfa_token = mfa_token
        self.expires_in = expires_in


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"
    title = "Precondition failed"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class TooManyRequests(DomainError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    """A dependency (the database, Redis...) cannot serve right now; the client may retry."""

    status = 503
    code = "service_unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str, *, dependency: str, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.dependency = dependency
