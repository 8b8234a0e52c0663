from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.outbox import record_event
from src.core.errors import Forbidden, NotFound, PreconditionFailed
from src.features.avatars.delete_avatar.command import DeleteAvatar
from src.features.avatars.delete_avatar.queries import SELECT_FOR_DELETE, SOFT_DELETE_AVATAR
from src.features.avatars.preconditions import if_match_allows
from src.features.avatars.read_model import avatar_event, avatar_view, etag_of

__all__ = ("delete_avatar",)


async def delete_avatar(command: DeleteAvatar, *, transaction: Connection) -> None:
    """Owner only; an avatar already deleted is as missing as one that never existed."""
    current = await transaction.fetchrow(SELECT_FOR_DELETE, command.avatar_id, command.user_id)
    if current is None:
        raise NotFound("No avatar with this id.")
    if current["owner_id"] != command.user_id:
        raise Forbidden("Only the owner may delete this avatar.", code="not_owner")
    if not if_match_allows(command.if_match, etag_of(current["version"])):
        raise PreconditionFailed("The avatar changed since you read it; read it again and retry.")
    row = await transaction.fetchrow(SOFT_DELETE_AVATAR, command.avatar_id)
    assert row is not None  # noqa: S101 - the row is locked: it still exists
    view = avatar_view(row)
    await record_event(transaction, type="avatar.deleted", owner_id=command.user_id, data=avatar_event(view))
