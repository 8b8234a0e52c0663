from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.outbox import record_event
from src.core.ids import new_id
from src.core.text import tidy
from src.features.avatars.create_avatar.command import CreateAvatar
from src.features.avatars.create_avatar.queries import INSERT_AVATAR
from src.features.avatars.read_model import AvatarView, avatar_event, avatar_view

__all__ = ("create_avatar",)


async def create_avatar(command: CreateAvatar, *, transaction: Connection) -> AvatarView:
    """The new avatar's view; `avatar.created` is recorded in the same transaction.

    Names are stored trimmed and NFC-normalised, colours upper-cased: equal-looking avatars are equal."""
    row = await transaction.fetchrow(
        INSERT_AVATAR, new_id(), command.owner_id, tidy(command.name), command.color.upper()
    )
    assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row it inserted
    view = avatar_view(row)
    await record_event(transaction, type="avatar.created", owner_id=command.owner_id, data=avatar_event(view))
    return view
