"""The one mapping from failures to RFC 9457 problem details (`application/problem+json`).

Every error response of the service comes from here: our domain errors, Litestar's own
HTTP exceptions (unknown route, wrong method, invalid input, body too large), the
database being unavailable, and anything unexpected (500 with nothing internal in the
body; the traceback goes to the log). Each body carries `type`, `title`, `status`,
`detail`, `instance`, a stable `code`, the `request_id`, with tracing on the `trace_id`
and `span_id` of the request, and for invalid input `errors: [{pointer, detail, location}]`.

Litestar's ProblemDetailsPlugin is not used: it cannot add `request_id`, and it puts
list-valued extras under a non-standard `extra` key.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Annotated, Any, Final, get_args

import asyncpg
import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.types import ExceptionHandlersMap
from msgspec import Meta

from src.core.data.database import DATABASE_UNAVAILABLE_ERRORS, is_connection_lost
from src.core.errors import (
    DomainError,
    FieldError,
    InsufficientScope,
    InvalidInput,
    Location,
    MfaRequired,
    ServiceUnavailable,
    TooManyRequests,
)
from src.core.http.read_retry import mark_connection_lost
from src.core.observability.logging import get_logger
from src.core.observability.request_context import current_request_id, current_trace, record_exception
from src.core.settings import Settings

__all__ = (
    "EXAMPLE_ID",
    "PROBLEM_MEDIA_TYPE",
    "MfaRequiredProblem",
    "Problem",
    "fallback_problem",
    "problem_body",
    "problem_handlers",
    "problem_response",
    "problem_responses",
    "problem_type",
    "sign_in_refused_response",
)

log = get_logger(component="problems")

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
# The UUID v7 the document's examples show (request ids; ids in example paths).
EXAMPLE_ID: Final = "01a20162-e971-7723-8378-04e487d87a8f"
PROBLEM_TYPE_BASE: Final = "/problems/"

# Stable codes for statuses that Litestar (not our handlers) raises.
_CODES: Final[Mapping[int, str]] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable_content",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
_LOCATIONS: Final = frozenset(get_args(Location.__value__))
_LITESTAR_KEY_PATH = re.compile(r"[.\[\]]+")
# Details that only repeat the status phrase (Litestar still uses some RFC 7231 names).
_GENERIC_DETAILS: Final = frozenset(
    {"", *(status.phrase for status in HTTPStatus), "Request Entity Too Large", "Unprocessable Entity"}
)
_MISSING_PARAMETER = re.compile(r"Missing required (\w+) parameter '([^']+)'")


class Problem(msgspec.Struct, kw_only=True):
    """An RFC 9457 problem details object, with this service's extension members."""

    type: Annotated[str, Meta(description="URI reference identifying the problem type: /problems/<code>")]
    title: Annotated[str, Meta(description="Short summary of the problem type")]
    status: Annotated[int, Meta(description="The HTTP status code")]
    detail: Annotated[str, Meta(description="What went wrong with this request, for humans")]
    instance: Annotated[str, Meta(description="The request path")]
    code: Annotated[str, Meta(description="Stable, machine-readable code: branch on this, not on detail")]
    request_id: Annotated[str, Meta(description="The request's id (also X-Request-ID); quote it in reports")]
    # Present only when tracing is on (core.observability.request_context.current_trace()).
    trace_id: (
        Annotated[str, Meta(description="The W3C trace id of the request (32 hex digits), when the service traces")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    span_id: (
        Annotated[str, Meta(description="The id of the request's server span (16 hex digits), when the service traces")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    # Present only for invalid input. UNSET (not an empty default) so the schema does not
    # advertise a default that generators would turn into an always-present field.
    errors: tuple[FieldError, ...] | msgspec.UnsetType = msgspec.UNSET


class MfaRequiredProblem(Problem, kw_only=True):
    """A login's 403: `mfa_required` carries the challenge that the second step completes
    (`POST /api/v1/auth/login/mfa`); other codes (`account_suspended`) are plain problems."""

    mfa_token: (
        Annotated[str, Meta(description="With code mfa_required: send it with a code to POST /api/v1/auth/login/mfa")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    mfa_token_expires_in: (
        Annotated[int, Meta(description="With code mfa_required: seconds until the mfa_token expires")]
        | msgspec.UnsetType
    ) = msgspec.UNSET


def problem_type(code: str) -> str:
    return PROBLEM_TYPE_BASE + code


_encode_problem: Final = msgspec.json.Encoder().encode


class _Fallback(DomainError):
    """An error status some layer answered without problem details, now with them."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail, code=_CODES.get(status, "http_error"))
        self.status = status  # type: ignore[misc]  # this instance's status
        self.title = _phrase(status)  # type: ignore[misc]


def fallback_problem(status: int, *, path: str, reason: str = "") -> DomainError:
    """The problem for an error status that came without one (the edge's safety net)."""
    if status == 404:
        return _Fallback(status, f"Nothing is found at {path}.")
    return _Fallback(status, reason or _phrase(status))


def _problem(
    *, code: str, title: str, status: int, detail: str, instance: str, errors: tuple[FieldError, ...] = ()
) -> Problem:
    """The problem of the request being served: its request id, and its trace when traced."""
    trace = current_trace()
    return Problem(
        type=problem_type(code),
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        code=code,
        request_id=current_request_id() or "",
        trace_id=trace.trace_id if trace is not None else msgspec.UNSET,
        span_id=trace.span_id if trace is not None else msgspec.UNSET,
        errors=errors or msgspec.UNSET,
    )


def problem_body(error: DomainError, *, instance: str) -> bytes:
    """A problem's bytes, for the ASGI layers that answer without Litestar (the edge)."""
    return _encode_problem(
        _problem(code=error.code, title=error.title, status=error.status, detail=error.detail, instance=instance)
    )


def _response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: tuple[FieldError, ...] = (),
    headers: Mapping[str, str] | None = None,
) -> Response[Problem]:
    problem = _problem(code=code, title=title, status=status, detail=detail, instance=request.url.path, errors=errors)
    return Response(problem, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


# How each status is documented in OpenAPI, with an example body's code and detail.
_DOCUMENTED: Final[Mapping[int, tuple[str, str, str]]] = {
    400: ("Invalid input: the errors name each field", "validation_failed", "Expected `str` of length <= 50"),
    401: ("Missing or invalid bearer token", "unauthorized", "The access token has expired."),
    403: ("Authenticated, but not allowed", "forbidden", "Only the owner may change this."),
    404: ("No such resource", "not_found", "Nothing is found at /api/v1/..."),
    409: ("Conflicts with the current state", "conflict", "The request conflicts with the current state."),
    412: ("If-Match precondition failed", "precondition_failed", "The resource changed since it was read."),
    413: ("Request body too large", "payload_too_large", "The request body is larger than this endpoint accepts."),
    415: ("Body is not application/json", "unsupported_media_type", "Send the body as application/json."),
    422: ("Idempotency key reused with another body", "idempotency_key_reused", "That key was used for another body."),
    429: ("Rate limit exceeded; see Retry-After", "rate_limited", "Too many requests: 300 per 60 s."),
    500: ("Unexpected error; nothing internal is disclosed", "internal_error", "The server could not complete it."),
    503: ("A dependency is unavailable; see Retry-After", "database_unavailable", "The database is unavailable."),
}
# What any API route can answer, whatever it does.
_ALWAYS: Final = (429, 500, 503)


def problem_response(status: int) -> ResponseSpec:
    """The OpenAPI response for one problem status, with an example body."""
    description, code, detail = _DOCUMENTED[status]
    example = {
        "type": problem_type(code),
        "title": _phrase(status),
        "status": status,
        "detail": detail,
        "instance": "/api/v1/avatars",
        "code": code,
        "request_id": EXAMPLE_ID,
    }
    return ResponseSpec(
        data_container=Problem,
        media_type=PROBLEM_MEDIA_TYPE,
        description=description,
        generate_examples=False,
        examples=[Example(summary=code, value=example)],
    )


def sign_in_refused_response() -> ResponseSpec:
    """The OpenAPI 403 of a password login: `account_suspended`, or `mfa_required` with its challenge."""
    example = {
        "type": problem_type("mfa_required"),
        "title": "Forbidden",
        "status": 403,
        "detail": "The password is right; send a code from your authenticator app (or a backup code).",
        "instance": "/api/v1/auth/login",
        "code": "mfa_required",
        "request_id": EXAMPLE_ID,
        "mfa_token": "q8Yh2r0m3Vb7dZ6j0x0JYk0u2pbe8fN3wXa9pQy0s4I",
        "mfa_token_expires_in": 300,
    }
    return ResponseSpec(
        data_container=MfaRequiredProblem,
        media_type=PROBLEM_MEDIA_TYPE,
        description="The password is right, but: `mfa_required` (the account has two-factor sign-in: complete "
        "it with `mfa_token` and a code), or `account_suspended`",
        generate_examples=False,
        examples=[Example(summary="mfa_required", value=example)],
    )


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI responses for the problems an API route can return: `statuses` plus 429, 500, 503."""
    return {status: problem_response(status) for status in sorted({*statuses, *_ALWAYS})}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _litestar_field_errors(exc: ValidationException) -> tuple[FieldError, ...]:
    """Litestar reports invalid parameters as `[{message, key, source}]` under `extra`,
    and a missing one only in its message."""
    if not isinstance(exc.extra, list):
        if (missing := _MISSING_PARAMETER.match(exc.detail)) is not None:
            location, name = missing.groups()
            return (
                FieldError(
                    pointer=f"#/{name}", detail=f"Missing required {location} parameter", location=_location(location)
                ),
            )
        return ()
    errors: list[FieldError] = []
    for item in exc.extra:
        if not isinstance(item, dict):
            continue
        key = str(item.get("key", ""))
        path = "/".join(part for part in _LITESTAR_KEY_PATH.split(key) if part)
        source = item.get("source") or "body"
        location = _location(str(getattr(source, "value", source)))  # Litestar passes a ParamType enum
        errors.append(
            FieldError(pointer=f"#/{path}" if path else "#", detail=str(item.get("message", "")), location=location)
        )
    return tuple(errors)


def _location(value: str) -> Location:
    return value if value in _LOCATIONS else "body"  # type: ignore[return-value]


def problem_handlers(settings: Settings) -> ExceptionHandlersMap:
    retry_after = {"Retry-After": str(settings.retry_after_seconds)}

    def domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Problem]:
        headers: dict[str, str] = {}
        errors: tuple[FieldError, ...] = ()
        if isinstance(exc, InvalidInput):
            errors = exc.errors
        elif isinstance(exc, ServiceUnavailable):
            headers.update(retry_after)
            log.warning("dependency_unavailable", dependency=exc.dependency, code=exc.code, cause=_cause_name(exc))
        elif isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after)
        elif isinstance(exc, MfaRequired):
            trace = current_trace()
            challenge: Problem = MfaRequiredProblem(
                type=problem_type(exc.code),
                title=exc.title,
                status=exc.status,
                detail=exc.detail,
                instance=request.url.path,
                code=exc.code,
                request_id=current_request_id() or "",
                trace_id=trace.trace_id if trace is not None else msgspec.UNSET,
                span_id=trace.span_id if trace is not None else msgspec.UNSET,
                mfa_token=exc.mfa_token,
                mfa_token_expires_in=exc.expires_in,
            )
            return Response(challenge, status_code=exc.status, media_type=PROBLEM_MEDIA_TYPE)
        elif isinstance(exc, InsufficientScope):
            headers["WWW-Authenticate"] = f'Bearer realm="avatar-api", error="insufficient_scope", scope="{exc.scope}"'
        elif exc.status == 401:
            # RFC 6750: name the error only when a token was sent and refused.
            headers["WWW-Authenticate"] = (
                'Bearer realm="avatar-api", error="invalid_token"'
                if exc.code == "invalid_token"
                else 'Bearer realm="avatar-api"'
            )
        return _response(
            request,
            status=exc.status,
            code=exc.code,
            title=exc.title,
            detail=exc.detail,
            errors=errors,
            headers=headers,
        )

    def http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Problem]:
        status = exc.status_code
        headers = dict(exc.headers or {})
        if isinstance(exc, ValidationException):
            errors = _litestar_field_errors(exc)
            return _response(
                request,
                status=400,
                code="validation_failed",
                title="Invalid input",
                detail=errors[0].detail if len(errors) == 1 else "The request has invalid values; see errors.",
                errors=errors,
                headers=headers,
            )
        if status >= 500:
            log.error("http_exception", status=status, detail=exc.detail)
            detail = "The server could not complete the request."
        else:
            detail = exc.detail if exc.detail not in _GENERIC_DETAILS else _default_detail(request, status)
        if status == 401:
            headers.setdefault("WWW-Authenticate", 'Bearer realm="avatar-api"')
        elif status in {429, 503}:
            headers.setdefault("Retry-After", retry_after["Retry-After"])
        return _response(
            request,
            status=status,
            code=_CODES.get(status, "http_error"),
            title=_phrase(status),
            detail=detail,
            headers=headers,
        )

    def database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
        if is_connection_lost(exc):
            mark_connection_lost(request.scope)
        return domain_error(
            request,
            _caused(
                ServiceUnavailable("The database is unavailable.", dependency="database", code="database_unavailable"),
                exc,
            ),
        )

    def interface_error(request: Request[Any, Any, Any], exc: asyncpg.InterfaceError) -> Response[Problem]:
        return database_unavailable(request, exc) if is_connection_lost(exc) else unexpected(request, exc)

    def unstorable_text(
        request: Request[Any, Any, Any], exc: asyncpg.CharacterNotInRepertoireError
    ) -> Response[Problem]:
        # Input schemas refuse NUL (PostgreSQL text cannot hold it); a field whose pattern
        # forgot that still gets a 400 and a rolled-back transaction, and the log says where.
        log.warning("text_not_storable", method=request.method, path=request.url.path, reason=str(exc))
        return domain_error(request, InvalidInput("Text values must not contain the NUL character (U+0000)."))

    def timeout(request: Request[Any, Any, Any], exc: TimeoutError) -> Response[Problem]:
        return domain_error(
            request,
            _caused(
                ServiceUnavailable(
                    "A dependency did not answer in time.", dependency="unknown", code="dependency_timeout"
                ),
                exc,
            ),
        )

    def unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Problem]:
        if isinstance(exc, ExceptionGroup) and (inner := _first_known(exc)) is not None:
            return _handler_for(inner)(request, inner)
        log.error("unhandled_exception", method=request.method, path=request.url.path, exc_info=exc)
        record_exception(exc)
        return _response(
            request,
            status=500,
            code="internal_error",
            title="Internal Server Error",
            detail="The server could not complete the request. Quote the request_id when reporting it.",
        )

    handlers: dict[type[Exception], Callable[[Request[Any, Any, Any], Any], Response[Problem]]] = {
        DomainError: domain_error,
        HTTPException: http_exception,
        TimeoutError: timeout,
        Exception: unexpected,
        **dict.fromkeys(DATABASE_UNAVAILABLE_ERRORS, database_unavailable),
        asyncpg.InterfaceError: interface_error,
        asyncpg.CharacterNotInRepertoireError: unstorable_text,
    }

    def _handler_for(exc: Exception) -> Callable[[Request[Any, Any, Any], Any], Response[Problem]]:
        return next(handlers[cls] for cls in type(exc).__mro__ if cls in handlers)

    def _first_known(group: ExceptionGroup[Exception]) -> Exception | None:
        """A dependency's cleanup can wrap the real failure in an ExceptionGroup."""
        for inner in group.exceptions:
            if _handler_for(inner) is not unexpected:
                return inner
        return None

    return handlers  # type: ignore[return-value]


def _caused(error: ServiceUnavailable, cause: Exception) -> ServiceUnavailable:
    error.__cause__ = cause
    return error


def _cause_name(exc: BaseException) -> str | None:
    cause = exc.__cause__
    if cause is None:
        return None
    if isinstance(cause, BaseExceptionGroup):  # name what is inside: that is the cause
        return "|".join(sorted({type(inner).__name__ for inner in cause.exceptions}))
    return type(cause).__name__


def _default_detail(request: Request[Any, Any, Any], status: int) -> str:
    if status == 404:
        return f"Nothing is found at {request.url.path}."
    if status == 405:
        return f"{request.method} is not allowed on {request.url.path}."
    if status == 413:
        return "The request body is larger than this endpoint accepts."
    return _phrase(status)
