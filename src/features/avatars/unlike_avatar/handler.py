"""Take a like back: idempotent. Only a like that was actually removed emits `avatar.unliked`."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.outbox import record_event
from src.core.errors import NotFound
from src.features.avatars.read_model import avatar_event, avatar_view
from src.features.avatars.unlike_avatar.command import UnlikeAvatar
from src.features.avatars.unlike_avatar.queries import DELETE_LIKE, SELECT_LIVE_AVATAR

__all__ = ("unlike_avatar",)


async def unlike_avatar(command: UnlikeAvatar, *, transaction: Connection) -> None:
    removed = await transaction.fetchval(DELETE_LIKE, command.avatar_id, command.user_id) is not None
    row = await transaction.fetchrow(SELECT_LIVE_AVATAR, command.avatar_id, command.user_id)
    if row is None:
        raise NotFound("No avatar with this id.")
    if removed:
        view = avatar_view(row)
        data = avatar_event(view, actor_id=command.user_id)
        await record_event(transaction, type="avatar.unliked", owner_id=view.owner.id, data=data)
