"""The OAuth 2 token endpoint (RFC 6749): the password grant (section 4.3), the
refresh grant (section 6) and the mfa-otp grant (the second step of a password grant
for an account with TOTP on), with the very rules of /login, /refresh and /login/mfa
(the feature's password_grant, refresh_grant and mfa_grant modules), spoken in OAuth's
terms:

- an unknown grant type is `unsupported_grant_type`; a parameter missing, or one that
  belongs to the other grant, is `invalid_request`;
- any non-empty `scope` is `invalid_scope`: the service defines none (an access token
  is the account's, whole), and RFC 6749 section 3.3 would otherwise oblige us to say
  in the answer that the scope granted differs from the one asked for;
- wrong credentials and a bad, expired, reused or just-rotated refresh token are all
  `invalid_grant` (400); reuse still revokes the session, as on /refresh;
- the right password of an account with TOTP on is 403 `mfa_required`, with `mfa_token`
  and `mfa_token_expires_in` beside the error (as Auth0 answers); a wrong or reused
  code and a bad, expired or spent mfa_token are `invalid_grant`;
- the per-account lockout and the rate limit stay 429 problems with `Retry-After`, and
  an unavailable dependency a 503: OAuth has no codes for them, and clients already
  know what those statuses mean.

Clients are public: no client authentication, so never `invalid_client`.
"""

from __future__ import annotations

from typing import ClassVar

from src.core.data.database import Database
from src.core.errors import Conflict, DomainError, Forbidden, MfaRequired, Unauthorized
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.issue_token.command import IssueToken
from src.features.auth.issue_token.schema import MFA_OTP_GRANT, OAuthErrorCode
from src.features.auth.mfa_grant import CompleteMfa, complete_mfa_login
from src.features.auth.password_grant import LogIn, log_in_with_password
from src.features.auth.refresh_grant import RefreshSession, rotate_refresh_token

__all__ = ("TokenRefused", "issue_token")


class TokenRefused(DomainError):
    """A token request refused with an RFC 6749 section 5.2 error code (always a 400)."""

    status: ClassVar[int] = 400
    title: ClassVar[str] = "Token request refused"

    def __init__(self, error: OAuthErrorCode, description: str) -> None:
        super().__init__(description, code=error)
        self.error: OAuthErrorCode = error


def _parameters(command: IssueToken, *, needs: tuple[str, ...], refuses: tuple[str, ...]) -> list[str]:
    """The values of the grant's own parameters, in the order named; every other case refused."""
    grant = command.grant_type
    missing = [name for name in needs if getattr(command, name) is None]
    if missing:
        raise TokenRefused("invalid_request", f"grant_type={grant} needs {' and '.join(missing)}.")
    extra = [name for name in refuses if getattr(command, name) is not None]
    if extra:
        raise TokenRefused("invalid_request", f"{' and '.join(extra)} is not a parameter of grant_type={grant}.")
    if command.scope is not None:
        raise TokenRefused("invalid_scope", "This service defines no scopes; leave scope out.")
    return [getattr(command, name) for name in needs]


async def issue_token(
    command: IssueToken,
    *,
    database: Database,
    passwords: PasswordHasher,
    tokens: TokenService,
    password_checks: PasswordChecks,
    second_factor: SecondFactor,
) -> TokenPair:
    if command.grant_type == "password":
        email, password = _parameters(
            command, needs=("username", "password"), refuses=("refresh_token", "mfa_token", "otp")
        )
        login = LogIn(
            email=email,
            password=password,
            user_agent=command.user_agent,
            refresh_ttl_seconds=command.refresh_ttl_seconds,
            session_max_age_seconds=command.session_max_age_seconds,
            mfa_challenge_ttl_seconds=command.mfa_challenge_ttl_seconds,
        )
        try:
            return await log_in_with_password(
                login, database=database, passwords=passwords, tokens=tokens, password_checks=password_checks
            )
        except MfaRequired:
            raise  # the router answers it in OAuth's format, with the challenge
        except (Unauthorized, Forbidden) as exc:  # invalid_credentials, account_suspended
            raise TokenRefused("invalid_grant", exc.detail) from None
    if command.grant_type == MFA_OTP_GRANT:
        mfa_token, otp = _parameters(
            command, needs=("mfa_token", "otp"), refuses=("username", "password", "refresh_token")
        )
        completion = CompleteMfa(
            mfa_token=mfa_token,
            code=otp,
            user_agent=command.user_agent,
            refresh_ttl_seconds=command.refresh_ttl_seconds,
            session_max_age_seconds=command.session_max_age_seconds,
            max_attempts=command.mfa_challenge_max_attempts,
        )
        try:
            return await complete_mfa_login(
                completion,
                database=database,
                tokens=tokens,
                password_checks=password_checks,
                second_factor=second_factor,
            )
        except Unauthorized as exc:  # invalid_mfa_token, invalid_mfa_code
            raise TokenRefused("invalid_grant", exc.detail) from None
    if command.grant_type == "refresh_token":
        (refresh_token,) = _parameters(
            command, needs=("refresh_token",), refuses=("username", "password", "mfa_token", "otp")
        )
        refresh = RefreshSession(
            refresh_token=refresh_token,
            refresh_ttl_seconds=command.refresh_ttl_seconds,
            reuse_grace_seconds=command.reuse_grace_seconds,
        )
        try:
            return await rotate_refresh_token(refresh, database=database, tokens=tokens)
        except (Unauthorized, Conflict) as exc:  # invalid_token, refresh_token_rotated
            raise TokenRefused("invalid_grant", exc.detail) from None
    raise TokenRefused("unsupported_grant_type", f"grant_type is password, refresh_token or {MFA_OTP_GRANT}.")
