from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.data.pagination import DEFAULT_LIMIT, CursorCodec
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.paging import CursorParam, LimitParam
from src.core.http.problems import problem_responses
from src.features.webhooks.list_webhook_deliveries.command import ListWebhookDeliveries
from src.features.webhooks.list_webhook_deliveries.handler import list_webhook_deliveries
from src.features.webhooks.list_webhook_deliveries.schema import DeliveryAttemptsPage

__all__ = ("list_webhook_deliveries_route",)


@get(
    "/{webhook_id:uuid}/deliveries",
    operation_id="listWebhookDeliveries",
    summary="The delivery log of one of your webhooks, newest attempt first",
    description="Every attempt: the event, the outcome, the receiver's status, how long it took, and when the "
    "next retry is due. Kept for WEBHOOK_RETENTION_DAYS.",
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage"),
    responses=problem_responses(400, 401, 404),
)
async def list_webhook_deliveries_route(
    request: Request[Any, Any, Any],
    webhook_id: FromPath[UUID],
    user: NamedDependency[Principal],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> DeliveryAttemptsPage:
    scope = f"webhook-deliveries:{webhook_id}"
    pagination = cursors.paginate(request.url.path, scope=scope, limit=limit, cursor=cursor)
    command = ListWebhookDeliveries(webhook_id=webhook_id, owner_id=user.user_id, page=pagination.request)
    return pagination.page(DeliveryAttemptsPage, await list_webhook_deliveries(command, connection=connection))
