"""Hide an avatar: everyone but its owner gets 404 for it (its page, its image, likes); the
owner still sees it, marked hidden, and hears of it (`avatar.hidden`, webhooks); audited."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.outbox import record_event
from src.core.errors import Conflict, NotFound
from src.features.admin.audit import record_action
from src.features.admin.hide_avatar.command import HideAvatar
from src.features.admin.hide_avatar.queries import HIDE
from src.features.admin.read_model import ModeratedAvatar, moderation_event
from src.features.admin.staff import lock_staff

__all__ = ("hide_avatar",)


async def hide_avatar(command: HideAvatar, *, transaction: Connection) -> ModeratedAvatar:
    _, actor_role = await lock_staff(transaction, actor_id=command.actor_id, needs="moderator")
    row = await transaction.fetchrow(HIDE, command.avatar_id, command.reason)
    if row is None:
        raise NotFound("No avatar with this id.")
    if row["was_hidden"]:
        raise Conflict("This avatar is already hidden.", code="already_hidden")
    avatar = ModeratedAvatar(
        id=row["id"],
        owner_id=row["owner_id"],
        name=row["name"],
        hidden=True,
        hidden_at=row["hidden_at"],
        hidden_reason=row["hidden_reason"],
    )
    data = moderation_event(avatar, command.reason)
    await record_event(transaction, type="avatar.hidden", owner_id=avatar.owner_id, data=data)
    await record_action(
        transaction,
        actor_id=command.actor_id,
        actor_role=actor_role,
        credential=command.actor_credential,
        action="avatar.hidden",
        target=("avatar", avatar.id),
        reason=command.reason,
        details={"owner_id": str(avatar.owner_id)},
    )
    return avatar
