from __future__ import annotations

from litestar import Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Connection
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.text import tidy
from src.features.api_keys.create_api_key.command import CreateApiKey
from src.features.api_keys.create_api_key.handler import create_api_key
from src.features.api_keys.create_api_key.schema import CreateApiKeyRequest, CreatedApiKey

__all__ = ("create_api_key_route",)


@post(
    "/",
    operation_id="createApiKey",
    summary="Create an API key (a personal access token)",
    description="For scripts and integrations: `Authorization: Bearer <key>`, limited to its `scopes`. The key "
    "is in this answer only; only its hash is kept. At most 20 live keys (409 `api_key_limit`). Needs a "
    "session's access token: keys never manage keys.",
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def create_api_key_route(
    data: JSONBody[CreateApiKeyRequest],
    user: NamedDependency[SessionPrincipal],
    transaction: NamedDependency[Connection],
) -> Response[CreatedApiKey]:
    command = CreateApiKey(
        user_id=user.user_id, name=tidy(data.name), scopes=frozenset(data.scopes), expires_at=data.expires_at
    )
    created = await create_api_key(command, transaction=transaction)
    return Response(created, status_code=201, headers={"Cache-Control": "no-store"})
