"""Restore a hidden avatar: seen by everyone again; the owner hears of it (`avatar.restored`,
webhooks); audited."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.outbox import record_event
from src.core.errors import Conflict, NotFound
from src.features.admin.audit import record_action
from src.features.admin.read_model import ModeratedAvatar, moderation_event
from src.features.admin.restore_avatar.command import RestoreAvatar
from src.features.admin.restore_avatar.queries import RESTORE
from src.features.admin.staff import lock_staff

__all__ = ("restore_avatar",)


async def restore_avatar(command: RestoreAvatar, *, transaction: Connection) -> ModeratedAvatar:
    _, actor_role = await lock_staff(transaction, actor_id=command.actor_id, needs="moderator")
    row = await transaction.fetchrow(RESTORE, command.avatar_id)
    if row is None:
        raise NotFound("No avatar with this id.")
    if not row["was_hidden"]:
        raise Conflict("This avatar is not hidden.", code="not_hidden")
    avatar = ModeratedAvatar(
        id=row["id"], owner_id=row["owner_id"], name=row["name"], hidden=False, hidden_at=None, hidden_reason=None
    )
    data = moderation_event(avatar, command.reason)
    await record_event(transaction, type="avatar.restored", owner_id=avatar.owner_id, data=data)
    await record_action(
        transaction,
        actor_id=command.actor_id,
        actor_role=actor_role,
        credential=command.actor_credential,
        action="avatar.restored",
        target=("avatar", avatar.id),
        reason=command.reason,
        details={"owner_id": str(avatar.owner_id), "hidden_reason": row["previous_reason"]},
    )
    return avatar
