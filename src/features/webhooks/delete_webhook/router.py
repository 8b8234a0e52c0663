from __future__ import annotations

from uuid import UUID

from litestar import delete
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.features.webhooks.delete_webhook.command import DeleteWebhook
from src.features.webhooks.delete_webhook.handler import delete_webhook

__all__ = ("delete_webhook_route",)


@delete(
    "/{webhook_id:uuid}",
    operation_id="deleteWebhook",
    summary="Delete a webhook (pending deliveries are dropped)",
    description=(
        "Its deliveries, sent or pending, and their attempts go with it: nothing more is sent. Only"
        " your own webhooks (404 otherwise)."
    ),
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage"),
    responses=problem_responses(400, 401, 404),
)
async def delete_webhook_route(
    webhook_id: FromPath[UUID], user: NamedDependency[Principal], transaction: NamedDependency[Connection]
) -> None:
    await delete_webhook(DeleteWebhook(webhook_id=webhook_id, owner_id=user.user_id), transaction=transaction)
