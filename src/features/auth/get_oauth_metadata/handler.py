"""The authorization server metadata (RFC 8414), for clients that configure themselves.

- `issuer` is JWT_ISSUER, the `iss` of every access token, so that a client comparing the
  two (RFC 9068 section 4) finds them equal. RFC 8414 wants it to be an https URL: set
  JWT_ISSUER to PUBLIC_BASE_URL for that (the default `avatar-api` predates discovery).
- Absolute URLs come from PUBLIC_BASE_URL, never from the request's Host header (which
  a client chooses, and a cache would then serve to everyone). Without it, in production,
  there is no document (404), rather than one with the wrong URLs.
- `response_types_supported` is required by RFC 8414 and empty here: response types
  belong to the authorization endpoint, which this service does not have (no code or
  implicit flow; the password and refresh grants use the token endpoint only).
- `token_endpoint_auth_signing_alg_values_supported` is left out: it is about signed
  client authentication (`private_key_jwt`), and clients are public. The access tokens'
  algorithm (ES256) is each key's `alg` in the JWKS.
"""

from __future__ import annotations

from typing import Final

from src.core.errors import NotFound
from src.features.auth.get_oauth_metadata.command import GetOAuthMetadata
from src.features.auth.get_oauth_metadata.schema import AuthorizationServerMetadata

__all__ = ("JWKS_PATH", "TOKEN_PATH", "get_oauth_metadata")

JWKS_PATH: Final = "/.well-known/jwks.json"
TOKEN_PATH: Final = "/api/v1/auth/token"  # noqa: S105 - a path, not a secret
DOCS_PATH: Final = "/docs"


def get_oauth_metadata(command: GetOAuthMetadata) -> AuthorizationServerMetadata:
    base = command.base_url
    if base is None:
        raise NotFound("Discovery is not configured on this server (PUBLIC_BASE_URL is unset).")
    return AuthorizationServerMetadata(
        issuer=command.issuer,
        jwks_uri=base + JWKS_PATH,
        token_endpoint=base + TOKEN_PATH,
        grant_types_supported=["password", "refresh_token", "urn:avatar-api:oauth:grant-type:mfa-otp"],
        token_endpoint_auth_methods_supported=["none"],
        response_types_supported=[],
        service_documentation=base + DOCS_PATH,
    )
