"""Delete the account: a soft delete (the row stays for integrity and audit), every
session ended in the same transaction, so the account's tokens stop working for writes
at once. Its e-mail address becomes free for a new sign-up.

It needs the current password, counted like a login: an access token alone (a stolen
one, a laptop left open) cannot destroy the account. No connection is held while Argon2
runs; the delete is conditional on the hash that was checked.
"""

from __future__ import annotations

from src.core.data.database import Database
from src.core.errors import Conflict, NotFound
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.features.users.delete_account.command import DeleteAccount
from src.features.users.delete_account.queries import REVOKE_ALL_SESSIONS, SELECT_PASSWORD_HASH, SOFT_DELETE_USER

__all__ = ("delete_account",)


async def delete_account(
    command: DeleteAccount, *, database: Database, passwords: PasswordHasher, password_checks: PasswordChecks
) -> None:
    async with database.acquire() as connection:
        stored_hash = await connection.fetchval(SELECT_PASSWORD_HASH, command.user_id)
    if stored_hash is None:
        raise NotFound("This account no longer exists.")
    await password_checks.require_current_password(
        user_id=command.user_id, stored_hash=stored_hash, password=command.current_password, passwords=passwords
    )
    async with database.transaction() as transaction:
        if await transaction.execute(SOFT_DELETE_USER, command.user_id, stored_hash) == "UPDATE 0":
            raise Conflict("The password was changed meanwhile; sign in again.", code="password_changed")
        await transaction.execute(REVOKE_ALL_SESSIONS, command.user_id)
