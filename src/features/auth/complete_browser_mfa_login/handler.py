"""Complete a browser login with a code: the MFA grant itself (src/features/auth/mfa_grant.py),
so this door has the rules and the per-account budget of `/login/mfa` and `/token`; only
the answer's transport differs (the router puts the refresh token into its cookie)."""

from __future__ import annotations

from src.core.data.database import Database
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.complete_browser_mfa_login.command import CompleteMfa
from src.features.auth.mfa_grant import complete_mfa_login

__all__ = ("complete_browser_mfa_login",)


async def complete_browser_mfa_login(
    command: CompleteMfa,
    *,
    database: Database,
    tokens: TokenService,
    password_checks: PasswordChecks,
    second_factor: SecondFactor,
) -> TokenPair:
    return await complete_mfa_login(
        command, database=database, tokens=tokens, password_checks=password_checks, second_factor=second_factor
    )
