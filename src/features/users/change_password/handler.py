"""Change the password, knowing the current one; every other session ends.

A stolen session cannot lock the owner out (it needs the current password), and after a
change, sessions opened with the old password cannot write any more, even with an
access token that has time left.
"""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import Forbidden, NotFound
from src.core.security.passwords import PasswordHasher
from src.features.users.change_password.command import ChangePassword
from src.features.users.change_password.queries import REVOKE_OTHER_SESSIONS, SELECT_PASSWORD_HASH, UPDATE_PASSWORD

__all__ = ("change_password",)


async def change_password(command: ChangePassword, *, transaction: Connection, passwords: PasswordHasher) -> None:
    stored_hash = await transaction.fetchval(SELECT_PASSWORD_HASH, command.user_id)
    if stored_hash is None:
        raise NotFound("This account no longer exists.")
    if not (await passwords.verify(stored_hash, command.current_password)).matches:
        raise Forbidden("The current password is wrong.", code="wrong_password")
    await transaction.execute(UPDATE_PASSWORD, command.user_id, await passwords.hash(command.new_password))
    await transaction.execute(REVOKE_OTHER_SESSIONS, command.user_id, command.session_id)
