from __future__ import annotations

from uuid import UUID

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.features.webhooks.get_webhook.command import GetWebhook
from src.features.webhooks.get_webhook.handler import get_webhook
from src.features.webhooks.read_model import WebhookView

__all__ = ("get_webhook_route",)


@get(
    "/{webhook_id:uuid}",
    operation_id="getWebhook",
    summary="One of your webhooks",
    description="Shows whether it is enabled, and why not. The secret is never shown again.",
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage"),
    responses=problem_responses(400, 401, 404),
)
async def get_webhook_route(
    webhook_id: FromPath[UUID], user: NamedDependency[Principal], connection: NamedDependency[Connection]
) -> WebhookView:
    return await get_webhook(GetWebhook(webhook_id=webhook_id, owner_id=user.user_id), connection=connection)
