from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import patch
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from src.core.data.database import Database
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.core.security.outbound import OutboundGuard
from src.features.webhooks.read_model import WebhookView
from src.features.webhooks.update_webhook.command import UpdateWebhook
from src.features.webhooks.update_webhook.handler import update_webhook
from src.features.webhooks.update_webhook.schema import UpdateWebhookRequest

__all__ = ("update_webhook_route",)


@patch(
    "/{webhook_id:uuid}",
    operation_id="updateWebhook",
    summary="Change a webhook's URL, events, description, or enable/disable it",
    description=(
        "Send the fields to change. A new URL is checked as at creation. `enabled: false` keeps the"
        " webhook and stops its deliveries; `true` turns a webhook disabled after failures back on."
    ),
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage"),
    responses=problem_responses(400, 401, 404, 413, 415),
)
async def update_webhook_route(
    webhook_id: FromPath[UUID],
    data: JSONBody[UpdateWebhookRequest],
    user: NamedDependency[Principal],
    database: NamedDependency[Database],
    outbound: NamedDependency[OutboundGuard],
) -> WebhookView:
    if data.url is not msgspec.UNSET:
        await outbound.check(data.url)  # DNS before taking a connection
    command = UpdateWebhook(
        webhook_id=webhook_id,
        owner_id=user.user_id,
        url=None if data.url is msgspec.UNSET else data.url,
        events=None if data.events is msgspec.UNSET else tuple(data.events),
        change_description=data.description is not msgspec.UNSET,
        description=None if data.description is msgspec.UNSET else data.description,
        enabled=None if data.enabled is msgspec.UNSET else data.enabled,
    )
    async with database.transaction() as transaction:
        return await update_webhook(command, transaction=transaction)
