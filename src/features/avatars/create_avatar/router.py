from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from src.core.data.database import Connection
from src.core.http.api_contract import sends_headers
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.idempotency import Idempotency, IdempotencyKeyParam
from src.core.http.problems import problem_responses
from src.features.avatars.create_avatar.command import CreateAvatar
from src.features.avatars.create_avatar.handler import create_avatar
from src.features.avatars.create_avatar.schema import CreateAvatarRequest
from src.features.avatars.read_model import AvatarView, location_of

__all__ = ("create_avatar_route",)


@post(
    "/",
    operation_id="createAvatar",
    summary="Create an avatar",
    description="Send `Idempotency-Key` to make retries safe.",
    status_code=201,
    security=bearer_security("avatars:write"),
    opt=needs_scope("avatars:write"),
    response_headers=sends_headers("Location", "ETag"),
    responses={
        201: ResponseSpec(AvatarView, description="Created; `Location` and `ETag` name it and its version"),
        **problem_responses(400, 401, 409, 413, 415, 422),
    },
)
async def create_avatar_route(
    request: Request[Any, Any, Any],
    data: JSONBody[CreateAvatarRequest],
    user: NamedDependency[Principal],
    transaction: NamedDependency[Connection],
    idempotency_key: IdempotencyKeyParam = None,
) -> Response[AvatarView]:
    async def create() -> Response[AvatarView]:
        command = CreateAvatar(owner_id=user.user_id, name=data.name, color=data.color)
        view = await create_avatar(command, transaction=transaction)
        return Response(view, status_code=201, headers={"Location": location_of(view.id), "ETag": view.etag})

    idempotency = Idempotency(transaction, request, scope=f"user:{user.user_id}", key=idempotency_key, body=data)
    return await idempotency.run(create)
