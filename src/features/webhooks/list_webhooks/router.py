from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from src.core.auth import BEARER_SECURITY, Principal
from src.core.database import Connection
from src.core.pagination import DEFAULT_LIMIT, CursorCodec, CursorParam, LimitParam, build_page
from src.core.problems import problem_responses
from src.features.webhooks.list_webhooks.command import ListWebhooks
from src.features.webhooks.list_webhooks.handler import list_webhooks
from src.features.webhooks.list_webhooks.schema import WebhooksPage

__all__ = ("list_webhooks_route",)


@get(
    "/",
    operation_id="listWebhooks",
    summary="Your webhooks, newest first",
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401),
)
async def list_webhooks_route(
    request: Request[Any, Any, Any],
    user: NamedDependency[Principal],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    limit: FromQuery[LimitParam] = DEFAULT_LIMIT,
    cursor: FromQuery[CursorParam] = "",
) -> WebhooksPage:
    scope = f"webhooks:{user.user_id}"
    page = cursors.page_request(scope=scope, limit=limit, cursor=cursor)
    webhooks, has_more = await list_webhooks(ListWebhooks(owner_id=user.user_id, page=page), connection=connection)
    return build_page(
        WebhooksPage,
        webhooks,
        has_more=has_more,
        last_id=webhooks[-1].id if webhooks else None,
        limit=limit,
        codec=cursors,
        scope=scope,
        path=request.url.path,
        query={},
    )
