"""Turn two-factor sign-in off, with the password and a code (TOTP or a backup code).

Both are checked against the account's budget of failed checks (403 `wrong_password`,
403 `wrong_mfa_code`); the password first, so a wrong one spends no code. The secret,
the backup codes and any login waiting for its second step go. Without TOTP on: 409
`mfa_not_enabled`. No connection is held while Argon2 runs.
"""

from __future__ import annotations

from src.core.data.database import Database
from src.core.errors import Conflict, NotFound
from src.core.observability.logging import get_logger
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.passwords import PasswordHasher
from src.features.users.disable_totp.command import DisableTotp
from src.features.users.disable_totp.queries import (
    DELETE_BACKUP_CODES,
    DELETE_CHALLENGES,
    DELETE_TOTP,
    SELECT_ACCOUNT,
)

__all__ = ("disable_totp",)

log = get_logger(component="users")


async def disable_totp(
    command: DisableTotp,
    *,
    database: Database,
    passwords: PasswordHasher,
    password_checks: PasswordChecks,
    second_factor: SecondFactor,
) -> None:
    async with database.acquire() as connection:
        account = await connection.fetchrow(SELECT_ACCOUNT, command.user_id)
    if account is None:
        raise NotFound("This account no longer exists.")
    if not account["totp_on"]:
        raise Conflict("Two-factor sign-in is not on.", code="mfa_not_enabled")
    await password_checks.require_current_password(
        user_id=command.user_id,
        stored_hash=account["password_hash"],
        password=command.current_password,
        passwords=passwords,
    )
    await second_factor.require_code(
        database=database, password_checks=password_checks, user_id=command.user_id, code=command.code
    )
    async with database.transaction() as transaction:
        await transaction.execute(DELETE_TOTP, command.user_id)
        await transaction.execute(DELETE_BACKUP_CODES, command.user_id)
        await transaction.execute(DELETE_CHALLENGES, command.user_id)
    log.info("totp_disabled", user_id=str(command.user_id))
