from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import NotFound
from src.features.avatars.get_avatar.command import GetAvatar
from src.features.avatars.get_avatar.queries import SELECT_AVATAR
from src.features.avatars.read_model import AvatarView, avatar_view

__all__ = ("get_avatar",)


async def get_avatar(command: GetAvatar, *, connection: Connection) -> AvatarView:
    """A live avatar of a live account; deleted ones are as missing as unknown ones."""
    row = await connection.fetchrow(SELECT_AVATAR, command.avatar_id, command.viewer_id)
    if row is None:
        raise NotFound("No avatar with this id.")
    return avatar_view(row)
