from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.data.pagination import DEFAULT_LIMIT, CursorCodec
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.paging import CursorParam, LimitParam
from src.core.http.problems import problem_responses
from src.features.api_keys.list_api_keys.command import ListApiKeys
from src.features.api_keys.list_api_keys.handler import list_api_keys
from src.features.api_keys.list_api_keys.schema import ApiKeysPage

__all__ = ("list_api_keys_route",)


@get(
    "/",
    operation_id="listApiKeys",
    summary="Your API keys",
    description="Not revoked, newest first, cursor-paginated: name, prefix, scopes, created, last used (to the "
    "minute), expiry. Never the keys themselves.",
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403),
)
async def list_api_keys_route(
    request: Request[Any, Any, Any],
    user: NamedDependency[SessionPrincipal],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> ApiKeysPage:
    pagination = cursors.paginate(
        request.url.path, scope=f"api_keys:{user.user_id}", filters={}, limit=limit, cursor=cursor
    )
    command = ListApiKeys(user_id=user.user_id, page=pagination.request)
    return pagination.page(ApiKeysPage, await list_api_keys(command, connection=connection))
