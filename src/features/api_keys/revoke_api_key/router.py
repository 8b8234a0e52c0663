from __future__ import annotations

from uuid import UUID

from litestar import delete
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.security.api_keys import VerifiedKeys
from src.features.api_keys.revoke_api_key.command import RevokeApiKey
from src.features.api_keys.revoke_api_key.handler import revoke_api_key

__all__ = ("revoke_api_key_route",)


@delete(
    "/{key_id:uuid}",
    operation_id="revokeApiKey",
    summary="Revoke an API key",
    description="It is refused from the next request on (on other instances within a second for reads, at once "
    "for writes). Revoking it again changes nothing (204).",
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404),
)
async def revoke_api_key_route(
    key_id: FromPath[UUID],
    user: NamedDependency[SessionPrincipal],
    transaction: NamedDependency[Connection],
    verified_keys: NamedDependency[VerifiedKeys],
) -> None:
    await revoke_api_key(
        RevokeApiKey(key_id=key_id, user_id=user.user_id), transaction=transaction, verified_keys=verified_keys
    )
