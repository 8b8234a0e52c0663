"""Change an account's role, by an admin or by an operator at the command line (`api users
grant` and `revoke`, the bootstrap: no HTTP back door makes the first admin). The last
active admin cannot be demoted. Takes effect on the account's next request, on every
instance (roles are read from the database, not from tokens). Audited."""

from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.data.database import Connection
from src.core.errors import Conflict, NotFound
from src.core.security.roles import Role
from src.core.text import normalize_email
from src.features.admin.audit import record_action
from src.features.admin.change_role.command import ChangeRole
from src.features.admin.change_role.queries import ACCOUNT_BY_EMAIL, LOCK_ACCOUNT, SET_ROLE
from src.features.admin.read_model import SELECT_ACCOUNT, AccountView, account_view
from src.features.admin.staff import lock_staff

__all__ = ("RoleChange", "account_id_of", "change_role")


class RoleChange(msgspec.Struct, frozen=True, kw_only=True):
    account: AccountView
    previous: Role
    """The role before; equal to `account.role` when there was nothing to change."""


async def account_id_of(connection: Connection, email: str) -> UUID | None:
    """The live account with this address, however it is typed."""
    found: UUID | None = await connection.fetchval(ACCOUNT_BY_EMAIL, normalize_email(email))
    return found


async def change_role(command: ChangeRole, *, transaction: Connection) -> RoleChange:
    staff, actor_role = await lock_staff(transaction, actor_id=command.actor_id, needs="admin")
    admins = [account_id for account_id, role in staff.items() if role == "admin"]
    previous: Role | None = await transaction.fetchval(LOCK_ACCOUNT, command.account_id)
    if previous is None:
        raise NotFound("No account with this id.")
    if previous != command.role and command.only_from in {None, previous}:
        if previous == "admin" and admins == [command.account_id]:
            raise Conflict("This is the last active admin: make another admin first.", code="last_admin")
        await transaction.execute(SET_ROLE, command.account_id, command.role)
        await record_action(
            transaction,
            actor_id=command.actor_id,
            actor_role=actor_role,
            action="account.role_changed",
            target=("account", command.account_id),
            reason=command.reason,
            details={"from": previous, "to": command.role},
            credential=command.actor_credential,
        )
    row = await transaction.fetchrow(SELECT_ACCOUNT, command.account_id)
    assert row is not None  # noqa: S101 - locked above: it still exists
    return RoleChange(account=account_view(row), previous=previous)
