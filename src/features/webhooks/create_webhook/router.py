from __future__ import annotations

from functools import partial
from typing import Any, Final

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody

from src.core.data.database import Connection, Database
from src.core.http.api_contract import sends_headers
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.idempotency import Idempotency, IdempotencyKeyParam
from src.core.http.problems import problem_responses
from src.core.security.outbound import OutboundGuard
from src.features.webhooks.create_webhook.command import CreateWebhook
from src.features.webhooks.create_webhook.handler import create_webhook
from src.features.webhooks.create_webhook.schema import CreateWebhookRequest
from src.features.webhooks.read_model import NewSecretView

__all__ = ("create_webhook_route",)

MAX_WEBHOOKS_PER_OWNER: Final = 20
# A replay of the create (same Idempotency-Key) answers the same, but without the secret.
_SHOWN_ONCE: Final = frozenset({"secret"})


@post(
    "/",
    operation_id="createWebhook",
    summary="Subscribe a URL to events about your avatars",
    description="The response holds the signing secret: it is shown only this once (a replay with the same "
    "`Idempotency-Key` answers with `secret: null`; rotate the secret if it was lost). Deliveries follow the "
    "Standard Webhooks spec (webhook-id, webhook-timestamp, webhook-signature). Send `Idempotency-Key` to make "
    "retries safe. The account's address must be verified: 403 `email_not_verified` otherwise.",
    status_code=201,
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage", verified_email=True),
    response_headers=sends_headers("Location"),
    responses={
        201: ResponseSpec(NewSecretView, description="Created; keep the secret"),
        **problem_responses(400, 401, 403, 409, 413, 415, 422),
    },
)
async def create_webhook_route(
    request: Request[Any, Any, Any],
    data: JSONBody[CreateWebhookRequest],
    user: NamedDependency[Principal],
    database: NamedDependency[Database],
    outbound: NamedDependency[OutboundGuard],
    idempotency_key: IdempotencyKeyParam = None,
) -> Response[NewSecretView]:
    # DNS before taking a connection: no transaction waits on the network.
    await outbound.check(data.url)
    command = CreateWebhook(
        owner_id=user.user_id,
        url=data.url,
        events=tuple(data.events),
        description=data.description,
        max_per_owner=MAX_WEBHOOKS_PER_OWNER,
    )
    async with database.transaction() as transaction:
        idempotency = Idempotency(
            transaction, request, scope=f"user:{user.user_id}", key=idempotency_key, body=data, conceal=_SHOWN_ONCE
        )
        return await idempotency.run(partial(_created, command, transaction))


async def _created(command: CreateWebhook, transaction: Connection) -> Response[NewSecretView]:
    webhook = await create_webhook(command, transaction=transaction)
    return Response(webhook, status_code=201, headers={"Location": f"/api/v1/webhooks/{webhook.id}"})
