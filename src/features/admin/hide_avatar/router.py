from __future__ import annotations

from uuid import UUID

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from src.core.data.database import Connection
from src.core.http.auth import Actor, bearer_security, requires_role
from src.core.http.problems import problem_responses
from src.features.admin.hide_avatar.command import HideAvatar
from src.features.admin.hide_avatar.handler import hide_avatar
from src.features.admin.hide_avatar.schema import HideAvatarRequest
from src.features.admin.read_model import ModeratedAvatar

__all__ = ("hide_avatar_route",)


@post(
    "/avatars/{avatar_id:uuid}/hide",
    operation_id="hideAvatar",
    summary="Hide an avatar (moderators and admins)",
    description="Everyone but its owner gets 404 for it (page, image, likes); the owner still sees it with "
    "`hidden: true` and is told by the `avatar.hidden` event (webhooks), with the reason. 409 `already_hidden`. "
    "Audited.",
    status_code=200,
    security=bearer_security("admin"),
    opt=requires_role("moderator"),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def hide_avatar_route(
    avatar_id: FromPath[UUID],
    data: JSONBody[HideAvatarRequest],
    actor: NamedDependency[Actor],
    transaction: NamedDependency[Connection],
) -> ModeratedAvatar:
    command = HideAvatar(
        avatar_id=avatar_id, reason=data.reason, actor_id=actor.user_id, actor_credential=actor.credential
    )
    return await hide_avatar(command, transaction=transaction)
