"""Confirm a TOTP enrolment with a code the app shows: logins ask for a code from now on.

The code proves the secret reached an authenticator (a secret never confirmed would lock
the owner out). Wrong codes count against the account's budget of failed checks (403
`wrong_mfa_code`). Confirming answers the ten backup codes, shown this once and stored
hashed. Without a pending enrolment: 409 `mfa_not_pending`.
"""

from __future__ import annotations

from src.core.data.database import Database
from src.core.errors import Conflict, Forbidden
from src.core.observability.logging import get_logger
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.totp import new_backup_codes
from src.features.users.confirm_totp.command import ConfirmTotp
from src.features.users.confirm_totp.queries import (
    CONFIRM_TOTP,
    DELETE_BACKUP_CODES,
    INSERT_BACKUP_CODES,
    SELECT_PENDING_SECRET,
)
from src.features.users.read_model import BackupCodes

__all__ = ("confirm_totp",)

log = get_logger(component="users")


def _not_pending() -> Conflict:
    return Conflict(
        "There is no enrolment to confirm: begin one with POST /api/v1/users/me/mfa/totp.", code="mfa_not_pending"
    )


async def confirm_totp(
    command: ConfirmTotp, *, database: Database, password_checks: PasswordChecks, second_factor: SecondFactor
) -> BackupCodes:
    async with database.acquire() as connection:
        sealed = await connection.fetchval(SELECT_PENDING_SECRET, command.user_id)
    secret = second_factor.secret(sealed, user_id=command.user_id) if sealed is not None else None
    if sealed is None or secret is None:
        raise _not_pending()
    codes, hashes = new_backup_codes()
    async with password_checks.reserve(PasswordChecks.of_account(command.user_id)) as check:
        step = second_factor.step_of(secret, command.code)
        if step is None:
            check.keep()
            raise Forbidden("The code is wrong: use the one your authenticator app shows now.", code="wrong_mfa_code")
    async with database.transaction() as transaction:
        if await transaction.execute(CONFIRM_TOTP, command.user_id, sealed, step) == "UPDATE 0":
            raise _not_pending()
        await transaction.execute(DELETE_BACKUP_CODES, command.user_id)
        await transaction.execute(INSERT_BACKUP_CODES, command.user_id, hashes)
    log.info("totp_enabled", user_id=str(command.user_id))  # a security event: who turned it on, never the codes
    return BackupCodes(backup_codes=codes)
