"""API keys (personal access tokens) for scripts and integrations: create one (shown once),
list them, revoke one. The format, hashing and verification are the kernel's
(`core.security.api_keys`, `core.http.auth`); this feature only manages them, and only
with a session's access token."""

from litestar import Router

from src.features.api_keys.create_api_key.router import create_api_key_route
from src.features.api_keys.list_api_keys.router import list_api_keys_route
from src.features.api_keys.revoke_api_key.router import revoke_api_key_route

__all__ = ("router",)

router = Router(
    path="/api-keys",
    tags=["api-keys"],
    route_handlers=[create_api_key_route, list_api_keys_route, revoke_api_key_route],
)
