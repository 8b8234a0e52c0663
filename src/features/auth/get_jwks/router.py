from __future__ import annotations

from typing import Final

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency

from src.core.http.problems import problem_responses
from src.core.security.keys import SigningKeys
from src.features.auth.get_jwks.handler import get_jwks
from src.features.auth.get_jwks.schema import JsonWebKeySet

__all__ = ("get_jwks_route", "get_well_known_jwks_route")

# Short: during a key rotation verifiers must pick up the new key quickly.
_CACHE: Final = CacheControlHeader(public=True, max_age=300)


@get(
    "/.well-known/jwks.json",
    operation_id="getJwks",
    summary="Public keys that verify access tokens (JWK Set)",
    description="Every key that verifies, the signing key first. Match a token's `kid` header to a key. The same "
    "set is at the origin's `/.well-known/jwks.json`, where the discovery document points.",
    cache_control=_CACHE,
    responses=problem_responses(),
)
async def get_jwks_route(signing_keys: NamedDependency[SigningKeys]) -> JsonWebKeySet:
    return get_jwks(signing_keys=signing_keys)


@get(
    "/.well-known/jwks.json",
    operation_id="getWellKnownJwks",
    summary="Public keys that verify access tokens (JWK Set), at the origin's well-known path",
    description="The `jwks_uri` of `/.well-known/oauth-authorization-server`; the same set as "
    "`/api/v1/auth/.well-known/jwks.json`.",
    cache_control=_CACHE,
    responses=problem_responses(),
)
async def get_well_known_jwks_route(signing_keys: NamedDependency[SigningKeys]) -> JsonWebKeySet:
    return get_jwks(signing_keys=signing_keys)
