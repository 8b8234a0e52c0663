from __future__ import annotations

from uuid import UUID

from litestar import put
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.features.avatars.like_avatar.command import LikeAvatar
from src.features.avatars.like_avatar.handler import like_avatar

__all__ = ("like_avatar_route",)


@put(
    "/{avatar_id:uuid}/like",
    operation_id="likeAvatar",
    summary="Like an avatar",
    description="Idempotent: repeating it changes nothing. `likes_count` stays exact under any concurrency.",
    status_code=204,
    security=bearer_security("avatars:write"),
    opt=needs_scope("avatars:write"),
    responses=problem_responses(400, 401, 404),
)
async def like_avatar_route(
    avatar_id: FromPath[UUID], user: NamedDependency[Principal], transaction: NamedDependency[Connection]
) -> None:
    await like_avatar(LikeAvatar(avatar_id=avatar_id, user_id=user.user_id), transaction=transaction)
