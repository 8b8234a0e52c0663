from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.data.pagination import DEFAULT_LIMIT, CursorCodec
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.paging import CursorParam, LimitParam
from src.core.http.problems import problem_responses
from src.features.webhooks.list_webhooks.command import ListWebhooks
from src.features.webhooks.list_webhooks.handler import list_webhooks
from src.features.webhooks.list_webhooks.schema import WebhooksPage

__all__ = ("list_webhooks_route",)


@get(
    "/",
    operation_id="listWebhooks",
    summary="Your webhooks, newest first",
    description=(
        "Cursor pages of your subscriptions, with whether each is enabled and since when it fails. "
        "Secrets are never listed: they are shown once, at creation and rotation."
    ),
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage"),
    responses=problem_responses(400, 401),
)
async def list_webhooks_route(
    request: Request[Any, Any, Any],
    user: NamedDependency[Principal],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> WebhooksPage:
    pagination = cursors.paginate(request.url.path, scope=f"webhooks:{user.user_id}", limit=limit, cursor=cursor)
    command = ListWebhooks(owner_id=user.user_id, page=pagination.request)
    return pagination.page(WebhooksPage, await list_webhooks(command, connection=connection))
