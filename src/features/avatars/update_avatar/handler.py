"""Edit an avatar: owner only, and never over someone else's newer edit.

With `If-Match` (the ETag from the last read), an edit made since then makes this one a
412 instead of silently overwriting it. The row is locked from the check to the write.
"""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.outbox import record_event
from src.core.errors import Forbidden, NotFound, PreconditionFailed
from src.core.text import tidy
from src.features.avatars.preconditions import if_match_allows
from src.features.avatars.read_model import AvatarView, avatar_event, avatar_view, etag_of
from src.features.avatars.update_avatar.command import UpdateAvatar
from src.features.avatars.update_avatar.queries import SELECT_FOR_EDIT, UPDATE_AVATAR

__all__ = ("update_avatar",)


async def update_avatar(command: UpdateAvatar, *, transaction: Connection) -> AvatarView:
    current = await transaction.fetchrow(SELECT_FOR_EDIT, command.avatar_id, command.user_id)
    if current is None:
        raise NotFound("No avatar with this id.")
    if current["owner_id"] != command.user_id:
        raise Forbidden("Only the owner may change this avatar.", code="not_owner")
    if not if_match_allows(command.if_match, etag_of(current["version"])):
        raise PreconditionFailed("The avatar changed since you read it; read it again and retry.")
    name = tidy(command.name) if command.name is not None else None  # stored as create stores them
    color = command.color.upper() if command.color is not None else None
    row = await transaction.fetchrow(UPDATE_AVATAR, command.avatar_id, name, color, command.user_id)
    assert row is not None  # noqa: S101 - the row is locked: it still exists
    view = avatar_view(row)
    if view.version != current["version"]:
        await record_event(transaction, type="avatar.updated", owner_id=command.user_id, data=avatar_event(view))
    return view
