"""Suspend an account: it cannot sign in, its sessions end at once, its avatars are hidden
from everyone else; audited with the reason."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import Conflict, NotFound
from src.features.admin.audit import record_action
from src.features.admin.read_model import SELECT_ACCOUNT, AccountView, account_view
from src.features.admin.staff import lock_staff
from src.features.admin.suspend_account.command import SuspendAccount
from src.features.admin.suspend_account.queries import END_SESSIONS, LOCK_ACCOUNT, SUSPEND

__all__ = ("suspend_account",)


async def suspend_account(command: SuspendAccount, *, transaction: Connection) -> AccountView:
    if command.account_id == command.actor_id:
        raise Conflict("You cannot suspend your own account.", code="cannot_suspend_self")
    _, actor_role = await lock_staff(transaction, actor_id=command.actor_id, needs="admin")
    current = await transaction.fetchrow(LOCK_ACCOUNT, command.account_id)
    if current is None:
        raise NotFound("No account with this id.")
    if current["suspended_at"] is not None:
        raise Conflict("This account is already suspended.", code="already_suspended")
    await transaction.execute(SUSPEND, command.account_id, command.reason)
    ended = await transaction.fetchval(END_SESSIONS, command.account_id)
    await record_action(
        transaction,
        actor_id=command.actor_id,
        actor_role=actor_role,
        action="account.suspended",
        target=("account", command.account_id),
        reason=command.reason,
        details={"sessions_ended": ended},
        credential=command.actor_credential,
    )
    row = await transaction.fetchrow(SELECT_ACCOUNT, command.account_id)
    assert row is not None  # noqa: S101 - locked above: it still exists
    return account_view(row)
