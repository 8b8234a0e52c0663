from __future__ import annotations

from uuid import UUID

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from src.core.data.database import Connection
from src.core.http.auth import Actor, bearer_security, requires_role
from src.core.http.problems import problem_responses
from src.features.admin.read_model import ModeratedAvatar
from src.features.admin.restore_avatar.command import RestoreAvatar
from src.features.admin.restore_avatar.handler import restore_avatar
from src.features.admin.restore_avatar.schema import RestoreAvatarRequest

__all__ = ("restore_avatar_route",)


@post(
    "/avatars/{avatar_id:uuid}/restore",
    operation_id="restoreAvatar",
    summary="Restore a hidden avatar (moderators and admins)",
    description="Seen by everyone again; the owner is told by the `avatar.restored` event. 409 `not_hidden`. "
    "Audited with the reason.",
    status_code=200,
    security=bearer_security("admin"),
    opt=requires_role("moderator"),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def restore_avatar_route(
    avatar_id: FromPath[UUID],
    data: JSONBody[RestoreAvatarRequest],
    actor: NamedDependency[Actor],
    transaction: NamedDependency[Connection],
) -> ModeratedAvatar:
    command = RestoreAvatar(
        avatar_id=avatar_id, reason=data.reason, actor_id=actor.user_id, actor_credential=actor.credential
    )
    return await restore_avatar(command, transaction=transaction)
