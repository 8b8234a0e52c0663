"""Log in from a browser: the password grant itself (src/features/auth/password_grant.py),
so this door has the same rules and spends the same per-account budget as `/login` and
`/token`; whatever it refuses with (wrong password, suspended account, a second factor
still needed) reaches the browser unchanged. Only the answer's transport differs (the
router puts the refresh token into its cookie)."""

from __future__ import annotations

from src.core.data.database import Database
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.log_in_browser.command import LogIn
from src.features.auth.password_grant import log_in_with_password

__all__ = ("log_in_browser",)


async def log_in_browser(
    command: LogIn,
    *,
    database: Database,
    passwords: PasswordHasher,
    tokens: TokenService,
    password_checks: PasswordChecks,
) -> TokenPair:
    return await log_in_with_password(
        command, database=database, passwords=passwords, tokens=tokens, password_checks=password_checks
    )
