"""The password grant: check an e-mail address and its password, open a session (a
refresh-token family), issue tokens.

Shared by `POST /auth/login` (JSON) and `POST /auth/token` with `grant_type=password`
(the OAuth 2 form), so both follow one set of rules and spend one budget:

- Unknown e-mail and wrong password are the same failure (`invalid_credentials`), in the
  same time: an unknown account is verified against a dummy hash.
- Password checks are counted per account (whoever sends them; core.runtime.password_checks),
  reserved before the check so that no concurrency gets past the limit; past it the
  account answers 429 until the window ends, so guessing one account's password from
  many addresses, or through both endpoints, gains nothing.
- A suspended account's right password is answered 403 `account_suspended` (only after the
  password matched: the address alone does not tell who is suspended).
- A hash made with older Argon2 parameters is upgraded on a successful login.
- An account with TOTP on gets no tokens for its password alone: the right password
  opens a challenge (a random token, stored hashed, MFA_CHALLENGE_TTL_SECONDS) and is
  answered 403 `mfa_required` with it; a code completes the login (mfa_grant.py). Only
  after the password matched, as for a suspension: the address alone tells nothing.
- No connection is held while Argon2 runs.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Final
from uuid import UUID

import msgspec

from src.core.clock import utc_now
from src.core.data.database import Connection, Database
from src.core.errors import Forbidden, MfaRequired, Unauthorized
from src.core.ids import new_id
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenPair, TokenService, hash_refresh_token, new_refresh_token
from src.core.text import normalize_email

__all__ = ("LogIn", "device", "hash_challenge_token", "log_in_with_password", "open_session")


class LogIn(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    password: str
    user_agent: str | None
    """As sent; a printable, bounded copy is kept for the session list."""
    refresh_ttl_seconds: int
    session_max_age_seconds: int
    mfa_challenge_ttl_seconds: int


SELECT_ACCOUNT: Final = """
SELECT u.id, u.password_hash, u.suspended_at IS NOT NULL AS suspended,
       EXISTS (SELECT 1 FROM user_totp t WHERE t.user_id = u.id AND t.confirmed_at IS NOT NULL) AS mfa
FROM users u
WHERE u.email = $1 AND u.deleted_at IS NULL
"""

INSERT_CHALLENGE: Final = """
INSERT INTO mfa_challenges (token_hash, user_id, user_agent, expires_at)
VALUES ($1, $2, $3, now() + make_interval(secs => $4))
"""

UPDATE_PASSWORD_HASH: Final = """
UPDATE users SET password_hash = $2 WHERE id = $1
"""

INSERT_SESSION: Final = """
INSERT INTO sessions (id, user_id, user_agent, expires_at)
VALUES ($1, $2, $3, $4)
"""

INSERT_REFRESH_TOKEN: Final = """
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
VALUES ($1, $2, $3)
"""

_USER_AGENT_MAX: Final = 256
# A header may hold any byte; the session list shows this text, and PostgreSQL refuses NUL.
_NOT_SHOWN: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]+")


def device(user_agent: str | None) -> str | None:
    """The User-Agent as the session list shows it: controls dropped, bounded."""
    shown = _NOT_SHOWN.sub(" ", user_agent or "").strip()[:_USER_AGENT_MAX]
    return shown or None


async def log_in_with_password(
    command: LogIn,
    *,
    database: Database,
    passwords: PasswordHasher,
    tokens: TokenService,
    password_checks: PasswordChecks,
) -> TokenPair:
    email = normalize_email(command.email)  # one account per address, however it is typed
    async with database.acquire() as connection:
        account = await connection.fetchrow(SELECT_ACCOUNT, email)
    # The same steps for an unknown address (its key, the dummy hash): the same time.
    budget = PasswordChecks.of_account(account["id"]) if account else PasswordChecks.of_unknown_address(email)
    async with password_checks.reserve(budget) as check:
        verification = await passwords.verify(account["password_hash"] if account else None, command.password)
        if account is None or not verification.matches:
            check.keep()  # a failure spends its place
            raise Unauthorized("The e-mail address or the password is wrong.", code="invalid_credentials")
    if account["suspended"]:
        raise Forbidden("This account is suspended; it cannot sign in.", code="account_suspended")
    upgraded_hash = await passwords.hash(command.password) if verification.needs_rehash else None

    async with database.acquire() as connection, connection.transaction():
        if upgraded_hash is not None:
            await connection.execute(UPDATE_PASSWORD_HASH, account["id"], upgraded_hash)
        if not account["mfa"]:
            return await open_session(
                connection,
                tokens=tokens,
                user_id=account["id"],
                user_agent=command.user_agent,
                refresh_ttl_seconds=command.refresh_ttl_seconds,
                session_max_age_seconds=command.session_max_age_seconds,
            )
        mfa_token = secrets.token_urlsafe(32)
        await connection.execute(
            INSERT_CHALLENGE,
            hash_challenge_token(mfa_token),
            account["id"],
            device(command.user_agent),
            float(command.mfa_challenge_ttl_seconds),
        )
    raise MfaRequired(
        "The password is right; send a code from your authenticator app (or a backup code).",
        mfa_token=mfa_token,
        expires_in=command.mfa_challenge_ttl_seconds,
    )


def hash_challenge_token(mfa_token: str) -> bytes:
    return hashlib.sha256(mfa_token.encode()).digest()


async def open_session(
    connection: Connection,
    *,
    tokens: TokenService,
    user_id: UUID,
    user_agent: str | None,
    refresh_ttl_seconds: int,
    session_max_age_seconds: int,
) -> TokenPair:
    """A new session (one device) with its first refresh token, on the caller's transaction."""
    now = utc_now()
    session_id = new_id()
    refresh_token = new_refresh_token()
    await connection.execute(
        INSERT_SESSION, session_id, user_id, device(user_agent), now + timedelta(seconds=session_max_age_seconds)
    )
    await connection.execute(
        INSERT_REFRESH_TOKEN,
        hash_refresh_token(refresh_token),
        session_id,
        now + timedelta(seconds=refresh_ttl_seconds),
    )
    return TokenPair(
        access_token=tokens.issue(user_id=user_id, session_id=session_id),
        expires_in=tokens.ttl_seconds,
        refresh_token=refresh_token,
        refresh_expires_in=refresh_ttl_seconds,
    )
