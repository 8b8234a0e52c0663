"""The second step of a login with TOTP on: a challenge (from the password step) and a code.

Shared by `POST /auth/login/mfa` (JSON) and `POST /auth/token` with the mfa-otp grant
(the OAuth 2 form), so both follow one set of rules:

- The challenge must be open: issued by the password step, not expired, not spent, with
  attempts left (MFA_CHALLENGE_MAX_ATTEMPTS), its account still live; else 401
  `invalid_mfa_token`. Another account's challenge is just as unknown.
- The code is a TOTP code or a backup code, each accepted once (core.runtime.second_factor).
- Every code counts against the account's budget of failed checks, the one passwords
  spend (core.runtime.password_checks): past it 429 `too_many_failed_logins`. A wrong code
  also spends one of the challenge's attempts; 401 `invalid_mfa_code`.
- A right code spends the challenge and opens the session in one transaction: of two
  concurrent completions one gets the session, the other 401 `invalid_mfa_token`, and
  the loser's code is not spent (its transaction rolls back).
"""

from __future__ import annotations

from typing import Final

import msgspec

from src.core.data.database import Database
from src.core.errors import Unauthorized
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.password_grant import hash_challenge_token, open_session

__all__ = ("CompleteMfa", "complete_mfa_login")


class CompleteMfa(msgspec.Struct, frozen=True, kw_only=True):
    mfa_token: str
    code: str
    user_agent: str | None
    refresh_ttl_seconds: int
    session_max_age_seconds: int
    max_attempts: int


SELECT_OPEN_CHALLENGE: Final = """
SELECT c.user_id
FROM mfa_challenges c
JOIN users u ON u.id = c.user_id
WHERE c.token_hash = $1 AND c.used_at IS NULL AND c.expires_at > now() AND c.attempts < $2
  AND u.deleted_at IS NULL AND u.suspended_at IS NULL
"""

SPEND_CHALLENGE: Final = """
UPDATE mfa_challenges SET used_at = now()
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2
"""

COUNT_ATTEMPT: Final = """
UPDATE mfa_challenges SET attempts = attempts + 1 WHERE token_hash = $1 AND used_at IS NULL
"""


def _invalid_token() -> Unauthorized:
    return Unauthorized(
        "The mfa_token is unknown, expired or already used: log in with the password again.", code="invalid_mfa_token"
    )


async def complete_mfa_login(
    command: CompleteMfa,
    *,
    database: Database,
    tokens: TokenService,
    password_checks: PasswordChecks,
    second_factor: SecondFactor,
) -> TokenPair:
    token_hash = hash_challenge_token(command.mfa_token)
    async with database.acquire() as connection:
        user_id = await connection.fetchval(SELECT_OPEN_CHALLENGE, token_hash, command.max_attempts)
    if user_id is None:
        raise _invalid_token()
    async with password_checks.reserve(PasswordChecks.of_account(user_id)) as check:
        async with database.acquire() as connection:
            async with connection.transaction():
                accepted = await second_factor.spend(connection, user_id=user_id, code=command.code)
                if accepted:
                    if await connection.execute(SPEND_CHALLENGE, token_hash, command.max_attempts) == "UPDATE 0":
                        raise _invalid_token()  # a concurrent completion won; this code stays unspent
                    return await open_session(
                        connection,
                        tokens=tokens,
                        user_id=user_id,
                        user_agent=command.user_agent,
                        refresh_ttl_seconds=command.refresh_ttl_seconds,
                        session_max_age_seconds=command.session_max_age_seconds,
                    )
            await connection.execute(COUNT_ATTEMPT, token_hash)
        check.keep()  # a wrong code spends its place, as a wrong password does
        raise Unauthorized("The code is wrong, or was used already.", code="invalid_mfa_code")
