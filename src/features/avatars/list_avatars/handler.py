from __future__ import annotations

from typing import Final
from uuid import UUID

from src.core.database import Connection
from src.core.pagination import split_page
from src.features.avatars.list_avatars.command import ListAvatars
from src.features.avatars.list_avatars.queries import LIST_AVATARS, LIST_AVATARS_OF_OWNER
from src.features.avatars.read_model import AvatarView, avatar_view

__all__ = ("list_avatars",)

_FROM_THE_NEWEST: Final = UUID(int=(1 << 128) - 1)


async def list_avatars(command: ListAvatars, *, connection: Connection) -> tuple[list[AvatarView], bool]:
    """A page of live avatars, newest first: (the avatars, whether more exist)."""
    after = command.page.after or _FROM_THE_NEWEST
    fetch_size = command.page.limit + 1
    if command.owner_id is None:
        rows = await connection.fetch(LIST_AVATARS, command.viewer_id, after, fetch_size)
    else:
        rows = await connection.fetch(LIST_AVATARS_OF_OWNER, command.viewer_id, after, fetch_size, command.owner_id)
    return split_page([avatar_view(row)[0] for row in rows], command.page.limit)
