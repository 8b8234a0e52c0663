from __future__ import annotations

import re
from typing import Any, Final

import msgspec
from litestar import Request, Response, post
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Example
from litestar.params import URLEncodedBody
from litestar.types import ExceptionHandlersMap

from src.core.data.database import Database
from src.core.errors import InvalidInput, MfaRequired, UnsupportedMediaType
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenPair, TokenService
from src.core.settings import Settings
from src.features.auth.issue_token.command import IssueToken
from src.features.auth.issue_token.handler import TokenRefused, issue_token
from src.features.auth.issue_token.schema import MFA_OTP_GRANT, OAuthErrorCode, TokenErrorResponse, TokenRequest

__all__ = ("issue_token_route",)

# RFC 6749 section 5.2: error_description is printable ASCII without `"` and `\`.
_NOT_DESCRIPTION_TEXT: Final = re.compile(r"[^\x20-\x21\x23-\x5b\x5d-\x7e]")
_REGEX: Final = re.compile(r" matching regex '.*'", flags=re.DOTALL)


def _error(status: int, error: OAuthErrorCode, description: str) -> Response[TokenErrorResponse]:
    body = TokenErrorResponse(error=error, error_description=_NOT_DESCRIPTION_TEXT.sub("?", description))
    return Response(body, status_code=status, media_type="application/json")


def _refused(_: Request[Any, Any, Any], exc: TokenRefused) -> Response[TokenErrorResponse]:
    return _error(400, exc.error, exc.detail)


def _mfa_required(_: Request[Any, Any, Any], exc: MfaRequired) -> Response[TokenErrorResponse]:
    body = TokenErrorResponse(
        error="mfa_required",
        error_description=_NOT_DESCRIPTION_TEXT.sub("?", exc.detail),
        mfa_token=exc.mfa_token,
        mfa_token_expires_in=exc.expires_in,
    )
    return Response(body, status_code=403, media_type="application/json")


def _malformed(_: Request[Any, Any, Any], exc: InvalidInput) -> Response[TokenErrorResponse]:
    if exc.code != "validation_failed":  # malformed, repeated: the detail says it
        return _error(400, "invalid_request", exc.detail)
    # Each parameter named; a pattern's regex (the e-mail address's is long) is not repeated.
    described = (
        f"{error.pointer.removeprefix('#/')}: {_REGEX.sub(' in the documented format', error.detail)}"
        for error in exc.errors
    )
    return _error(400, "invalid_request", "; ".join(described) + ".")


def _not_a_form(_: Request[Any, Any, Any], exc: UnsupportedMediaType) -> Response[TokenErrorResponse]:
    return _error(415, "invalid_request", exc.detail)


def _not_converted(_: Request[Any, Any, Any], exc: ValidationException) -> Response[TokenErrorResponse]:
    return _error(400, "invalid_request", "The form has invalid values.")  # the strict form check ran first


# What the form check, the handler and Litestar raise about the request, in OAuth's
# terms; everything else (429, 413, 503, 500) stays problem details, as on every route.
_OAUTH_ERRORS: Final[ExceptionHandlersMap] = {
    TokenRefused: _refused,
    MfaRequired: _mfa_required,
    InvalidInput: _malformed,
    UnsupportedMediaType: _not_a_form,
    ValidationException: _not_converted,
}


def _documented(description: str, *examples: tuple[OAuthErrorCode, str], **extra: object) -> ResponseSpec:
    return ResponseSpec(
        data_container=TokenErrorResponse,
        media_type="application/json",
        description=description,
        generate_examples=False,
        examples=[
            Example(summary=error, value={"error": error, "error_description": text, **extra})
            for error, text in examples
        ],
    )


_RESPONSES: Final = {
    **problem_responses(413),
    400: _documented(
        "Refused (RFC 6749 section 5.2): `invalid_request`, `invalid_grant`, `unsupported_grant_type`, `invalid_scope`",
        ("invalid_grant", "The e-mail address or the password is wrong."),
        ("invalid_request", "grant_type=password needs password."),
        ("unsupported_grant_type", f"grant_type is password, refresh_token or {MFA_OTP_GRANT}."),
        ("invalid_scope", "This service defines no scopes; leave scope out."),
    ),
    403: _documented(
        f"`mfa_required`: the password is right and the account has two-factor sign-in; send `mfa_token` and an "
        f"`otp` with grant_type={MFA_OTP_GRANT}",
        ("mfa_required", "The password is right; send a code from your authenticator app (or a backup code)."),
        mfa_token="q8Yh2r0m3Vb7dZ6j0x0JYk0u2pbe8fN3wXa9pQy0s4I",  # noqa: S106 - an example in the document
        mfa_token_expires_in=300,
    ),
    415: _documented(
        "The body is not application/x-www-form-urlencoded (UTF-8)",
        ("invalid_request", "Send the body as application/x-www-form-urlencoded, not application/json."),
    ),
}


@post(
    "/token",
    operation_id="issueToken",
    summary="OAuth 2 token endpoint: password, refresh_token and mfa-otp grants",
    description="RFC 6749 sections 4.3 and 6, for OAuth clients and tools (Swagger UI's Authorize, CLIs): the "
    "same logins, sessions, lockout and refresh-token rotation as `/login` and `/refresh`, with a form body and "
    "OAuth errors (`{error, error_description}`, 400). An account with two-factor sign-in answers the password "
    f"grant 403 `mfa_required` with an `mfa_token`; grant_type={MFA_OTP_GRANT} with it and an `otp` completes "
    "the login, as `/login/mfa` does. Clients are public: no client authentication; a "
    "`client_id` is ignored. Rate limited by the strict `auth` policy; a locked account or an exceeded limit "
    "is a 429 problem with `Retry-After`.",
    status_code=200,
    opt={"rate_limit": "auth"},
    cache_control=CacheControlHeader(no_store=True),  # RFC 6749 section 5.1
    response_headers=[ResponseHeader(name="Pragma", value="no-cache", description="RFC 6749 section 5.1")],
    exception_handlers=_OAUTH_ERRORS,
    responses=_RESPONSES,
)
async def issue_token_route(
    request: Request[Any, Any, Any],
    data: URLEncodedBody[TokenRequest],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    tokens: NamedDependency[TokenService],
    password_checks: NamedDependency[PasswordChecks],
    second_factor: NamedDependency[SecondFactor],
    settings: NamedDependency[Settings],
) -> TokenPair:
    command = IssueToken(
        grant_type=data.grant_type,
        username=_sent(data.username),
        password=_sent(data.password),
        refresh_token=_sent(data.refresh_token),
        mfa_token=_sent(data.mfa_token),
        otp=_sent(data.otp),
        scope=_sent(data.scope),
        user_agent=request.headers.get("user-agent"),
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        session_max_age_seconds=settings.session_max_age_seconds,
        reuse_grace_seconds=settings.refresh_reuse_grace_seconds,
        mfa_challenge_ttl_seconds=settings.mfa_challenge_ttl_seconds,
        mfa_challenge_max_attempts=settings.mfa_challenge_max_attempts,
    )
    return await issue_token(
        command,
        database=database,
        passwords=passwords,
        tokens=tokens,
        password_checks=password_checks,
        second_factor=second_factor,
    )


def _sent(value: str | msgspec.UnsetType) -> str | None:
    return value if isinstance(value, str) else None
