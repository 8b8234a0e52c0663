"""Reinstate a suspended account: it may sign in again (its ended sessions stay ended) and
its avatars are seen again; audited with the reason."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import Conflict, NotFound
from src.features.admin.audit import record_action
from src.features.admin.read_model import SELECT_ACCOUNT, AccountView, account_view
from src.features.admin.reinstate_account.command import ReinstateAccount
from src.features.admin.reinstate_account.queries import REINSTATE
from src.features.admin.staff import lock_staff

__all__ = ("reinstate_account",)


async def reinstate_account(command: ReinstateAccount, *, transaction: Connection) -> AccountView:
    _, actor_role = await lock_staff(transaction, actor_id=command.actor_id, needs="admin")
    outcome = await transaction.fetchrow(REINSTATE, command.account_id)
    if outcome is None:
        raise NotFound("No account with this id.")
    if not outcome["reinstated"]:
        raise Conflict("This account is not suspended.", code="not_suspended")
    await record_action(
        transaction,
        actor_id=command.actor_id,
        actor_role=actor_role,
        action="account.reinstated",
        target=("account", command.account_id),
        reason=command.reason,
        details={
            "suspended_at": outcome["suspended_at"].isoformat(),
            "suspension_reason": outcome["suspension_reason"],
        },
        credential=command.actor_credential,
    )
    row = await transaction.fetchrow(SELECT_ACCOUNT, command.account_id)
    assert row is not None  # noqa: S101 - locked above: it still exists
    return account_view(row)
