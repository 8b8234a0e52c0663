"""The second factor of an account with TOTP on: a code accepted once.

A code is a TOTP code (six digits) or one of the account's backup codes. Acceptance is
one conditional UPDATE each, so no concurrency accepts a code twice:

- TOTP: the time step the code belongs to (within TOTP_VALID_WINDOW steps of now) must
  be later than the last accepted one (`user_totp.last_used_step`), which then moves to
  it. The same code again, or an older one, is refused like a wrong code (RFC 6238
  section 5.2; ASVS 2.8.4).
- Backup code: `used_at` is set only where it was NULL.

A secret still sealed with a previous DATA_ENCRYPTION_KEY is sealed again with the
current one when a code of it is accepted, so a rotation completes as accounts sign in.

Used by the login's second step (auth) and by what needs a code on the account (users:
disabling TOTP, new backup codes), which also counts wrong codes against the account's
budget of failed checks (`require_code`).
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from src.core.clock import utc_now
from src.core.data.database import Connection, Database
from src.core.errors import Forbidden
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.sealing import Sealer
from src.core.security.totp import (
    hash_backup_code,
    is_totp_code,
    matching_step,
    normalize_backup_code,
    secret_context,
)

__all__ = ("SecondFactor", "reseal_secrets")

SELECT_SEALED_TOTP: Final = """
SELECT secret_sealed FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL
"""

# Forward only: a step at or before the last accepted one is a replay.
ACCEPT_STEP: Final = """
UPDATE user_totp SET last_used_step = $2
WHERE user_id = $1 AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < $2)
"""

# After a key rotation: the secret sealed again under the primary key, once it was used.
RESEAL_TOTP: Final = """
UPDATE user_totp SET secret_sealed = $3 WHERE user_id = $1 AND secret_sealed = $2
"""

SELECT_ALL_SEALED_TOTP: Final = """
SELECT user_id, secret_sealed FROM user_totp
"""

SPEND_BACKUP_CODE: Final = """
UPDATE mfa_backup_codes SET used_at = now()
WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
  AND EXISTS (SELECT 1 FROM user_totp WHERE user_id = $1 AND confirmed_at IS NOT NULL)
"""


class SecondFactor:
    __slots__ = ("_sealer", "_window")

    def __init__(self, sealer: Sealer, *, window: int) -> None:
        self._sealer = sealer
        self._window = window

    def secret(self, sealed: bytes, *, user_id: UUID) -> str | None:
        """The account's TOTP secret, or None when it no longer opens (its key is gone)."""
        opened = self._sealer.unseal(sealed, context=secret_context(user_id))
        return opened.decode() if opened is not None else None

    def step_of(self, secret: str, code: str) -> int | None:
        """The time step `code` belongs to now, within the window; None: no match."""
        return matching_step(secret, code, now=utc_now(), window=self._window)

    async def spend(self, connection: Connection, *, user_id: UUID, code: str) -> bool:
        """Whether `code` is accepted now (and so spent); False for a wrong, reused or
        malformed code, or an account without TOTP on."""
        if is_totp_code(code):
            sealed = await connection.fetchval(SELECT_SEALED_TOTP, user_id)
            secret = self.secret(sealed, user_id=user_id) if sealed is not None else None
            step = self.step_of(secret, code) if secret is not None else None
            if step is None or await connection.execute(ACCEPT_STEP, user_id, step) != "UPDATE 1":
                return False
            if secret is not None and self._sealer.sealed_with_previous(sealed):
                resealed = self._sealer.seal(secret.encode(), context=secret_context(user_id))
                await connection.execute(RESEAL_TOTP, user_id, sealed, resealed)
            return True
        normalized = normalize_backup_code(code)
        if normalized is None:
            return False
        return await connection.execute(SPEND_BACKUP_CODE, user_id, hash_backup_code(normalized)) == "UPDATE 1"

    async def require_code(
        self, *, database: Database, password_checks: PasswordChecks, user_id: UUID, code: str
    ) -> None:
        """Re-authentication with the second factor: 403 `wrong_mfa_code`, counted like a failed login."""
        async with password_checks.reserve(PasswordChecks.of_account(user_id)) as check:
            async with database.acquire() as connection:
                accepted = await self.spend(connection, user_id=user_id, code=code)
            if not accepted:
                check.keep()
                raise Forbidden("The code is wrong, or was used already.", code="wrong_mfa_code")


async def reseal_secrets(connection: Connection, sealer: Sealer) -> tuple[int, int]:
    """Every TOTP secret still sealed with a previous key, sealed again under the current
    one (`api keys reseal-data`, after a rotation): (sealed again, unreadable). Unreadable
    ones were sealed under a key no longer configured; they are left as they are."""
    resealed = unreadable = 0
    for row in await connection.fetch(SELECT_ALL_SEALED_TOTP):
        sealed, context = bytes(row["secret_sealed"]), secret_context(row["user_id"])
        if not sealer.sealed_with_previous(sealed):
            continue
        secret = sealer.unseal(sealed, context=context)
        if secret is None:
            unreadable += 1
            continue
        status = await connection.execute(RESEAL_TOTP, row["user_id"], sealed, sealer.seal(secret, context=context))
        if status == "UPDATE 1":
            resealed += 1
    return resealed, unreadable
