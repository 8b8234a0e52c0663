"""The per-account budget of password checks: login, changing the password, deleting the
account, and whatever else asks for a password, all count against it.

Past `LOGIN_FAILURES_PER_ACCOUNT` failed checks in a window the account answers 429
(`too_many_failed_logins`), whoever asks and from wherever, so guessing one account's
password from many addresses or through a stolen session gains nothing.

The budget holds under any concurrency (`Reservations`): a check takes its place before
the password is verified, and gives it back unless it failed (the password matched, or
the check never ran: the hasher was busy, the database away). A read of the count
followed by a later increment let 80 concurrent guesses all see room for one more.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final
from uuid import UUID

from src.core.errors import Forbidden
from src.core.runtime.rate_counters import RateCounter, RatePolicy, Reservation, Reservations
from src.core.security.passwords import PasswordHasher

__all__ = ("PasswordChecks",)

_KEY_PREFIX: Final = "password-checks:"


class PasswordChecks:
    __slots__ = ("_budget",)

    def __init__(self, counter: RateCounter, policy: RatePolicy) -> None:
        self._budget = Reservations(
            counter,
            policy,
            code="too_many_failed_logins",
            detail="Too many failed password checks for this account; wait before trying again.",
        )

    @staticmethod
    def of_account(user_id: UUID) -> str:
        return f"{_KEY_PREFIX}{user_id}"

    @staticmethod
    def of_unknown_address(email: str) -> str:
        """An address with no account has a budget too (hashed: counters live in Redis,
        and e-mail addresses do not belong there)."""
        return f"{_KEY_PREFIX}unknown:{hashlib.sha256(email.encode()).hexdigest()[:32]}"

    @asynccontextmanager
    async def reserve(self, key: str) -> AsyncIterator[Reservation]:
        """A place for one check, or 429; `keep()` it when the password was wrong."""
        async with self._budget.reserve(key) as reservation:
            yield reservation

    async def require_current_password(
        self, *, user_id: UUID, stored_hash: str, password: str, passwords: PasswordHasher
    ) -> None:
        """Re-authentication for what a stolen session must not do alone (change the
        password, delete the account): 403 `wrong_password`, counted like a failed login."""
        async with self.reserve(self.of_account(user_id)) as check:
            if not (await passwords.verify(stored_hash, password)).matches:
                check.keep()
                raise Forbidden("The current password is wrong.", code="wrong_password")
