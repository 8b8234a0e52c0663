"""Log in: check the password, open a session (a refresh-token family), issue tokens.

- Unknown e-mail and wrong password are the same 401, in the same time: an unknown
  account is verified against a dummy hash.
- Failures are counted per account (whoever sends them); past the limit the account
  answers 429 until the window ends, so guessing one account's password from many
  addresses gains nothing.
- A hash made with older Argon2 parameters is upgraded on a successful login.
- No connection is held while Argon2 runs.
"""

from __future__ import annotations

import hashlib
import math
from datetime import timedelta

from src.core.clock import utc_now
from src.core.data.database import Database
from src.core.errors import TooManyRequests, Unauthorized
from src.core.ids import new_id
from src.core.runtime.rate_counters import RateCounter
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenPair, TokenService, hash_refresh_token, new_refresh_token
from src.core.text import normalize_email
from src.features.auth.log_in.command import LogIn
from src.features.auth.log_in.queries import (
    INSERT_REFRESH_TOKEN,
    INSERT_SESSION,
    SELECT_ACCOUNT,
    UPDATE_PASSWORD_HASH,
)

__all__ = ("log_in",)


def _failure_key(email: str) -> str:
    # Hashed: counters live in Redis, and e-mail addresses do not belong there.
    return "login-failures:" + hashlib.sha256(email.encode()).hexdigest()[:32]


async def log_in(
    command: LogIn,
    *,
    database: Database,
    passwords: PasswordHasher,
    tokens: TokenService,
    failures: RateCounter,
) -> TokenPair:
    email = normalize_email(command.email)  # one account per address, however it is typed
    failure_key = _failure_key(email)
    recent = await failures.peek(failure_key)
    if recent is not None and recent.hits >= command.failure_limit:
        raise TooManyRequests(
            "Too many failed logins for this account; wait before trying again.",
            retry_after=max(math.ceil(recent.reset_after), 1),
            code="too_many_failed_logins",
        )

    async with database.acquire() as connection:
        account = await connection.fetchrow(SELECT_ACCOUNT, email)
    verification = await passwords.verify(account["password_hash"] if account else None, command.password)
    if account is None or not verification.matches:
        await failures.hit(failure_key, command.failure_window_seconds)
        raise Unauthorized("The e-mail address or the password is wrong.", code="invalid_credentials")
    upgraded_hash = await passwords.hash(command.password) if verification.needs_rehash else None

    now = utc_now()
    session_id = new_id()
    refresh_token = new_refresh_token()
    async with database.acquire() as connection, connection.transaction():
        if upgraded_hash is not None:
            await connection.execute(UPDATE_PASSWORD_HASH, account["id"], upgraded_hash)
        await connection.execute(
            INSERT_SESSION,
            session_id,
            account["id"],
            command.user_agent,
            now + timedelta(seconds=command.session_max_age_seconds),
        )
        await connection.execute(
            INSERT_REFRESH_TOKEN,
            hash_refresh_token(refresh_token),
            session_id,
            now + timedelta(seconds=command.refresh_ttl_seconds),
        )
    return TokenPair(
        access_token=tokens.issue(user_id=account["id"], session_id=session_id),
        expires_in=tokens.ttl_seconds,
        refresh_token=refresh_token,
        refresh_expires_in=command.refresh_ttl_seconds,
    )
