from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import delete
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter

from src.core.data.database import Connection
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.features.avatars.delete_avatar.command import DeleteAvatar
from src.features.avatars.delete_avatar.handler import delete_avatar

__all__ = ("delete_avatar_route",)


@delete(
    "/{avatar_id:uuid}",
    operation_id="deleteAvatar",
    summary="Delete an avatar",
    description="Owner only (403 otherwise). Afterwards it is gone from reads, lists, images and likes (404).",
    security=bearer_security("avatars:write"),
    opt=needs_scope("avatars:write"),
    responses=problem_responses(400, 401, 403, 404, 412),
)
async def delete_avatar_route(
    avatar_id: FromPath[UUID],
    user: NamedDependency[Principal],
    transaction: NamedDependency[Connection],
    if_match: Annotated[str | None, HeaderParameter(name="If-Match", max_length=1024)] = None,
) -> None:
    await delete_avatar(
        DeleteAvatar(avatar_id=avatar_id, user_id=user.user_id, if_match=if_match), transaction=transaction
    )
