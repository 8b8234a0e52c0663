"""Change the password, knowing the current one; every other session ends.

A stolen session cannot lock the owner out (it needs the current password), and cannot
guess it either: each wrong current password counts against the account's budget of
failed checks, the same one login uses. After a change, sessions opened with the old
password cannot write any more, even with an access token that has time left. No
connection is held while Argon2 runs; the write is conditional on the hash that was
checked, so two concurrent changes cannot both win. A login begun with the old password
and waiting for its second factor (TOTP) ends too.
"""

from __future__ import annotations

from src.core.data.database import Database
from src.core.errors import Conflict, NotFound
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher, refuse_weak_password
from src.features.users.change_password.command import ChangePassword
from src.features.users.change_password.queries import (
    DELETE_MFA_CHALLENGES,
    REVOKE_OTHER_SESSIONS,
    SELECT_ACCOUNT,
    UPDATE_PASSWORD,
)

__all__ = ("change_password",)


async def change_password(
    command: ChangePassword, *, database: Database, passwords: PasswordHasher, password_checks: PasswordChecks
) -> None:
    async with database.acquire() as connection:
        account = await connection.fetchrow(SELECT_ACCOUNT, command.user_id)
    if account is None:
        raise NotFound("This account no longer exists.")
    stored_hash = account["password_hash"]
    await password_checks.require_current_password(
        user_id=command.user_id, stored_hash=stored_hash, password=command.current_password, passwords=passwords
    )
    refuse_weak_password(
        command.new_password, email=account["email"], display_name=account["display_name"], pointer="#/new_password"
    )
    new_hash = await passwords.hash(command.new_password)
    async with database.transaction() as transaction:
        if await transaction.execute(UPDATE_PASSWORD, command.user_id, new_hash, stored_hash) == "UPDATE 0":
            raise Conflict("The password was changed meanwhile; sign in again.", code="password_changed")
        await transaction.execute(REVOKE_OTHER_SESSIONS, command.user_id, command.session_id)
        await transaction.execute(DELETE_MFA_CHALLENGES, command.user_id)
