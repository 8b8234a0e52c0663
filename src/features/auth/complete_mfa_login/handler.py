"""Complete a login with a code: the MFA grant (src/features/auth/mfa_grant.py holds its
rules), shared with `POST /auth/token` so both spend one per-account budget."""

from __future__ import annotations

from src.core.data.database import Database
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.complete_mfa_login.command import CompleteMfa
from src.features.auth.mfa_grant import complete_mfa_login as complete

__all__ = ("complete_mfa_login",)


async def complete_mfa_login(
    command: CompleteMfa,
    *,
    database: Database,
    tokens: TokenService,
    password_checks: PasswordChecks,
    second_factor: SecondFactor,
) -> TokenPair:
    """A bad, expired or spent challenge: 401 `invalid_mfa_token`; a wrong or reused code:
    401 `invalid_mfa_code`; past the account's budget: 429 `too_many_failed_logins`."""
    return await complete(
        command, database=database, tokens=tokens, password_checks=password_checks, second_factor=second_factor
    )
