"""Ten new backup codes in place of the old ones (used or not), for a code.

The code (a TOTP code or a backup code) is checked against the account's budget of
failed checks (403 `wrong_mfa_code`). Without TOTP on: 409 `mfa_not_enabled`.
"""

from __future__ import annotations

from src.core.data.database import Database
from src.core.errors import Conflict
from src.core.observability.logging import get_logger
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.totp import new_backup_codes
from src.features.users.read_model import BackupCodes
from src.features.users.regenerate_backup_codes.command import RegenerateBackupCodes
from src.features.users.regenerate_backup_codes.queries import (
    DELETE_BACKUP_CODES,
    INSERT_BACKUP_CODES,
    SELECT_TOTP_ON,
)

__all__ = ("regenerate_backup_codes",)

log = get_logger(component="users")


def _not_enabled() -> Conflict:
    return Conflict("Two-factor sign-in is not on: there are no backup codes to replace.", code="mfa_not_enabled")


async def regenerate_backup_codes(
    command: RegenerateBackupCodes,
    *,
    database: Database,
    password_checks: PasswordChecks,
    second_factor: SecondFactor,
) -> BackupCodes:
    async with database.acquire() as connection:
        totp_on = await connection.fetchval(SELECT_TOTP_ON, command.user_id)
    if not totp_on:
        raise _not_enabled()
    await second_factor.require_code(
        database=database, password_checks=password_checks, user_id=command.user_id, code=command.code
    )
    codes, hashes = new_backup_codes()
    async with database.transaction() as transaction:
        await transaction.execute(DELETE_BACKUP_CODES, command.user_id)
        if await transaction.execute(INSERT_BACKUP_CODES, command.user_id, hashes) == "INSERT 0 0":
            raise _not_enabled()  # turned off meanwhile
    log.info("backup_codes_regenerated", user_id=str(command.user_id))
    return BackupCodes(backup_codes=codes)
