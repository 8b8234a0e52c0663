from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.pagination import PageResult
from src.features.avatars.list_avatars.command import ListAvatars
from src.features.avatars.list_avatars.queries import LIST_AVATARS, LIST_AVATARS_OF_OWNER
from src.features.avatars.read_model import AvatarView, avatar_view

__all__ = ("list_avatars",)


async def list_avatars(command: ListAvatars, *, connection: Connection) -> PageResult[AvatarView]:
    """A page of live avatars, newest first."""
    page = command.page
    if command.owner_id is None:
        rows = await connection.fetch(LIST_AVATARS, command.viewer_id, *page.position, page.fetch_size)
    else:
        rows = await connection.fetch(
            LIST_AVATARS_OF_OWNER, command.viewer_id, *page.position, page.fetch_size, command.owner_id
        )
    return page.result(rows, item=avatar_view)
