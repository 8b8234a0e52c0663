from __future__ import annotations

from uuid import UUID

from litestar import Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.http.api_contract import sends_headers
from src.core.http.auth import Principal, needs_scope, optional_bearer_security
from src.core.http.problems import problem_responses
from src.features.avatars.get_avatar.command import GetAvatar
from src.features.avatars.get_avatar.handler import get_avatar
from src.features.avatars.read_model import PERSONALISED_READ, AvatarView

__all__ = ("get_avatar_route",)


@get(
    "/{avatar_id:uuid}",
    operation_id="getAvatar",
    summary="Get an avatar",
    description="Public. With a token, `liked_by_me` says whether you like it. `ETag` is the avatar's version, "
    "for `If-Match` on update.",
    security=optional_bearer_security("avatars:read"),
    opt=needs_scope("avatars:read"),
    response_headers=sends_headers("ETag"),
    responses=problem_responses(400, 401, 404),
)
async def get_avatar_route(
    avatar_id: FromPath[UUID],
    viewer: NamedDependency[Principal | None],
    connection: NamedDependency[Connection],
) -> Response[AvatarView]:
    command = GetAvatar(avatar_id=avatar_id, viewer_id=viewer.user_id if viewer else None)
    view = await get_avatar(command, connection=connection)
    return Response(view, headers={"ETag": view.etag, **PERSONALISED_READ})
