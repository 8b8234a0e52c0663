"""Like an avatar: idempotent. Only a like that was actually added emits `avatar.liked`."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.outbox import record_event
from src.core.errors import NotFound
from src.features.avatars.like_avatar.command import LikeAvatar
from src.features.avatars.like_avatar.queries import INSERT_LIKE, SELECT_LIVE_AVATAR
from src.features.avatars.read_model import avatar_event, avatar_view

__all__ = ("like_avatar",)


async def like_avatar(command: LikeAvatar, *, transaction: Connection) -> None:
    added = await transaction.fetchval(INSERT_LIKE, command.avatar_id, command.user_id) is not None
    row = await transaction.fetchrow(SELECT_LIVE_AVATAR, command.avatar_id, command.user_id)
    if row is None:
        raise NotFound("No avatar with this id.")
    if added:
        view = avatar_view(row)
        data = avatar_event(view, actor_id=command.user_id)
        await record_event(transaction, type="avatar.liked", owner_id=view.owner.id, data=data)
