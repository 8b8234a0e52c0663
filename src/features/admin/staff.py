"""The staff, locked: every staff write starts here, inside its transaction.

The auth gate checked the actor's role a moment before, on a connection of its own; this
reads it again with the rows of every active moderator and admin locked (in id order, the
one order every staff write takes them in, so two never deadlock). A demotion or a
suspension of the actor that commits before this point is seen here (403
`insufficient_role`); one that comes after waits for this write to commit. Two admins
demoting or suspending each other at once therefore take turns, and the second finds
that it no longer may. Shared by this feature's write slices and `api users`.
"""

from __future__ import annotations

from typing import Final
from uuid import UUID

from src.core.data.database import Connection
from src.core.errors import Forbidden
from src.core.security.roles import Role, at_least
from src.features.admin.read_model import ActorRole

__all__ = ("lock_staff",)

LOCK_ACTIVE_STAFF: Final = """
SELECT id, role FROM users
WHERE role <> 'user' AND deleted_at IS NULL AND suspended_at IS NULL
ORDER BY id
FOR UPDATE
"""


async def lock_staff(
    transaction: Connection, *, actor_id: UUID | None, needs: Role
) -> tuple[dict[UUID, Role], ActorRole]:
    """The active staff (id -> role), locked, and the role the actor acts with now
    (`operator`: the command line, `actor_id` None); raises 403 when the actor no longer may."""
    staff: dict[UUID, Role] = {row["id"]: row["role"] for row in await transaction.fetch(LOCK_ACTIVE_STAFF)}
    if actor_id is None:
        return staff, "operator"
    held = staff.get(actor_id)
    if held is None or not at_least(held, needs):
        raise Forbidden(f"This needs the {needs} role, or one above it.", code="insufficient_role")
    role: ActorRole = "admin" if held == "admin" else "moderator"
    return staff, role
