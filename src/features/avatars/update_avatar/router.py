from __future__ import annotations

from typing import Annotated
from uuid import UUID

import msgspec
from litestar import Response, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody

from src.core.data.database import Connection
from src.core.http.api_contract import sends_headers
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.features.avatars.read_model import AvatarView
from src.features.avatars.update_avatar.command import UpdateAvatar
from src.features.avatars.update_avatar.handler import update_avatar
from src.features.avatars.update_avatar.schema import UpdateAvatarRequest

__all__ = ("update_avatar_route",)


@patch(
    "/{avatar_id:uuid}",
    operation_id="updateAvatar",
    summary="Change an avatar's name or colour",
    description="Owner only (403 otherwise). Send `If-Match` with the `ETag` you read (or the `etag` of the "
    "avatar in a list) to refuse (412) an edit that would overwrite someone else's newer one.",
    security=bearer_security("avatars:write"),
    opt=needs_scope("avatars:write"),
    response_headers=sends_headers("ETag"),
    responses=problem_responses(400, 401, 403, 404, 412, 413, 415),
)
async def update_avatar_route(
    avatar_id: FromPath[UUID],
    data: JSONBody[UpdateAvatarRequest],
    user: NamedDependency[Principal],
    transaction: NamedDependency[Connection],
    if_match: Annotated[str | None, HeaderParameter(name="If-Match", max_length=1024)] = None,
) -> Response[AvatarView]:
    command = UpdateAvatar(
        avatar_id=avatar_id,
        user_id=user.user_id,
        name=None if data.name is msgspec.UNSET else data.name,
        color=None if data.color is msgspec.UNSET else data.color,
        if_match=if_match,
    )
    view = await update_avatar(command, transaction=transaction)
    return Response(view, headers={"ETag": view.etag})
