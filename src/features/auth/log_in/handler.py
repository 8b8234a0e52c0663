"""Log in with a JSON body: the password grant (src/features/auth/password_grant.py holds
its rules), shared with `POST /auth/token` so both spend one per-account budget."""

from __future__ import annotations

from src.core.data.database import Database
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.log_in.command import LogIn
from src.features.auth.password_grant import log_in_with_password

__all__ = ("log_in",)


async def log_in(
    command: LogIn,
    *,
    database: Database,
    passwords: PasswordHasher,
    tokens: TokenService,
    password_checks: PasswordChecks,
) -> TokenPair:
    """Unknown e-mail and wrong password: 401 `invalid_credentials` alike, in the same time;
    the right password of an account with TOTP on: 403 `mfa_required` with its challenge."""
    return await log_in_with_password(
        command, database=database, passwords=passwords, tokens=tokens, password_checks=password_checks
    )
