from __future__ import annotations

from uuid import UUID

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.core.settings import Settings
from src.features.webhooks.read_model import NewSecretView
from src.features.webhooks.rotate_webhook_secret.command import RotateWebhookSecret
from src.features.webhooks.rotate_webhook_secret.handler import rotate_webhook_secret

__all__ = ("rotate_webhook_secret_route",)


@post(
    "/{webhook_id:uuid}/rotate-secret",
    operation_id="rotateWebhookSecret",
    summary="Replace the signing secret",
    description="Returns the new secret, shown only this once. Until `previous_secret_expires_at` every delivery "
    "is signed with both secrets (two `v1,` signatures in `webhook-signature`), so a receiver can switch to the "
    "new one without missing an event.",
    status_code=200,
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage"),
    responses=problem_responses(400, 401, 404),
)
async def rotate_webhook_secret_route(
    webhook_id: FromPath[UUID],
    user: NamedDependency[Principal],
    transaction: NamedDependency[Connection],
    settings: NamedDependency[Settings],
) -> NewSecretView:
    command = RotateWebhookSecret(
        webhook_id=webhook_id, owner_id=user.user_id, grace_seconds=settings.webhook_secret_grace_seconds
    )
    return await rotate_webhook_secret(command, transaction=transaction)
