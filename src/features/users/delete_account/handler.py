"""Delete the account: a soft delete (the row stays for integrity and audit), every
session ended in the same transaction, so the account's tokens stop working for writes
at once. Its e-mail address becomes free for a new sign-up."""

from __future__ import annotations

from src.core.data.database import Connection
from src.features.users.delete_account.command import DeleteAccount
from src.features.users.delete_account.queries import REVOKE_ALL_SESSIONS, SOFT_DELETE_USER

__all__ = ("delete_account",)


async def delete_account(command: DeleteAccount, *, transaction: Connection) -> None:
    await transaction.execute(SOFT_DELETE_USER, command.user_id)
    await transaction.execute(REVOKE_ALL_SESSIONS, command.user_id)
