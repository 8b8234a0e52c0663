"""Whether the account signs in with a second factor, and how many backup codes are left."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.rows import from_row
from src.core.errors import NotFound
from src.features.users.get_mfa_status.command import GetMfaStatus
from src.features.users.get_mfa_status.queries import SELECT_MFA_STATUS
from src.features.users.get_mfa_status.schema import MfaStatus

__all__ = ("get_mfa_status",)


async def get_mfa_status(command: GetMfaStatus, *, connection: Connection) -> MfaStatus:
    row = await connection.fetchrow(SELECT_MFA_STATUS, command.user_id)
    if row is None:
        raise NotFound("This account no longer exists.")
    return from_row(MfaStatus, row)
