from __future__ import annotations

from litestar import get
from litestar.datastructures import CacheControlHeader
from litestar.di import NamedDependency

from src.core.http.problems import problem_responses
from src.core.settings import Settings
from src.features.auth.get_oauth_metadata.command import GetOAuthMetadata
from src.features.auth.get_oauth_metadata.handler import get_oauth_metadata
from src.features.auth.get_oauth_metadata.schema import AuthorizationServerMetadata

__all__ = ("get_oauth_metadata_route",)


@get(
    "/.well-known/oauth-authorization-server",
    operation_id="getOAuthMetadata",
    summary="OAuth 2 authorization server metadata (RFC 8414)",
    description="Where the token endpoint and the signing keys are, and what the token endpoint accepts. "
    "Absolute URLs are built from PUBLIC_BASE_URL; 404 in production when it is unset.",
    # It changes only with the configuration.
    cache_control=CacheControlHeader(public=True, max_age=3600),
    responses=problem_responses(404),
)
async def get_oauth_metadata_route(settings: NamedDependency[Settings]) -> AuthorizationServerMetadata:
    return get_oauth_metadata(GetOAuthMetadata(issuer=settings.jwt_issuer, base_url=settings.base_url))
