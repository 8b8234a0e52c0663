"""Password hashing: Argon2id, off the event loop, with bounded concurrency and queue.

A hash takes tens of milliseconds of CPU and `PASSWORD_HASH_MEMORY_KIB` of memory. Done
on the event loop it would stall every other request; done without a bound, a login
flood would exhaust memory. So hashes run in threads (argon2-cffi releases the GIL), at
most `PASSWORD_HASH_CONCURRENCY` at once per worker, with at most
`PASSWORD_HASH_QUEUE` callers waiting; beyond that the caller gets 503 and may retry.

Unknown e-mail and wrong password must cost the same, so a login for an unknown account
verifies against a dummy hash with the same parameters: a random salt and a random
digest in Argon2's own format. Verifying it runs the whole computation (and fails), while
making it costs nothing at start-up: no hash, no `PASSWORD_HASH_MEMORY_KIB` allocated.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Final

from argon2 import PasswordHasher as Argon2Hasher
from argon2.exceptions import InvalidHashError, VerificationError

from src.core.errors import FieldError, InvalidInput, ServiceUnavailable
from src.core.settings import Settings

__all__ = ("PasswordHasher", "Verification", "refuse_weak_password")

# Read once, at import: about a thousand lines (see the file's header).
_COMMON: Final = frozenset(
    line
    for line in (Path(__file__).parent / "common_passwords.txt").read_text(encoding="utf-8").splitlines()
    if line and not line.startswith("#")
)


def refuse_weak_password(password: str, *, email: str, display_name: str, pointer: str) -> None:
    """A new password must not be one of the most common ones (OWASP ASVS 2.1.7), nor the
    account's own e-mail address, its local part or its display name, in any case: those
    are the first guesses. A 400 `weak_password` naming the field."""
    candidate = password.strip().casefold()
    own = {email.casefold(), email.partition("@")[0].casefold(), display_name.strip().casefold()}
    if candidate in _COMMON:
        detail = "This password is one of the most common ones; choose another."
    elif candidate in own:
        detail = "The password must not be your e-mail address or your name."
    else:
        return
    raise InvalidInput(detail, errors=(FieldError(pointer=pointer, detail=detail),), code="weak_password")


class Verification:
    """The outcome of a check: does it match, and should the stored hash be upgraded?"""

    __slots__ = ("matches", "needs_rehash")

    def __init__(self, *, matches: bool, needs_rehash: bool) -> None:
        self.matches = matches
        self.needs_rehash = needs_rehash


def _unmatchable_hash(argon2: Argon2Hasher) -> str:
    """A hash string in the PHC format argon2 writes, of no password at all."""

    def encode(length: int) -> str:
        return base64.b64encode(secrets.token_bytes(length)).decode().rstrip("=")

    parameters = f"m={argon2.memory_cost},t={argon2.time_cost},p={argon2.parallelism}"
    return f"$argon2{argon2.type.name.lower()}$v=19${parameters}${encode(argon2.salt_len)}${encode(argon2.hash_len)}"


class PasswordHasher:
    __slots__ = ("_argon2", "_dummy_hash", "_queue_limit", "_slots", "_waiting")

    def __init__(self, settings: Settings) -> None:
        self._argon2 = Argon2Hasher(
            time_cost=settings.password_hash_time_cost,
            memory_cost=settings.password_hash_memory_kib,
            parallelism=settings.password_hash_parallelism,
        )
        self._slots = asyncio.Semaphore(settings.password_hash_concurrency)
        self._queue_limit = settings.password_hash_concurrency + settings.password_hash_queue
        self._waiting = 0
        self._dummy_hash = _unmatchable_hash(self._argon2)

    async def _run[**P, T](self, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self._waiting >= self._queue_limit:
            raise ServiceUnavailable(
                "Too many password checks are in progress; retry shortly.", dependency="password_hashing", code="busy"
            )
        self._waiting += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(function, *args, **kwargs)
        finally:
            self._waiting -= 1

    async def hash(self, password: str) -> str:
        return await self._run(self._argon2.hash, password)

    async def verify(self, stored_hash: str | None, password: str) -> Verification:
        """Check `password`; with no stored hash (unknown account) spend the same time and fail."""
        matches: bool = await self._run(self._matches, stored_hash or self._dummy_hash, password)
        if stored_hash is None:
            return Verification(matches=False, needs_rehash=False)
        return Verification(matches=matches, needs_rehash=matches and self._argon2.check_needs_rehash(stored_hash))

    def _matches(self, stored_hash: str, password: str) -> bool:
        try:
            return self._argon2.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):  # includes VerifyMismatchError
            return False
