from __future__ import annotations

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency

from src.core.http.problems import problem_responses
from src.core.security.keys import SigningKeys
from src.features.auth.get_jwks.handler import get_jwks
from src.features.auth.get_jwks.schema import JsonWebKeySet

__all__ = ("get_jwks_route",)


@get(
    "/.well-known/jwks.json",
    operation_id="getJwks",
    summary="Public keys that verify access tokens (JWK Set)",
    description="Every key that verifies, the signing key first. Match a token's `kid` header to a key.",
    # Short: during a key rotation verifiers must pick up the new key quickly.
    cache_control=CacheControlHeader(public=True, max_age=300),
    responses=problem_responses(),
)
async def get_jwks_route(signing_keys: NamedDependency[SigningKeys]) -> JsonWebKeySet:
    return get_jwks(signing_keys=signing_keys)
