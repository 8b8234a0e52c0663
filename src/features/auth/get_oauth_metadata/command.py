from __future__ import annotations

import msgspec

__all__ = ("GetOAuthMetadata",)


class GetOAuthMetadata(msgspec.Struct, frozen=True, kw_only=True):
    issuer: str
    base_url: str | None
    """The public origin (PUBLIC_BASE_URL), never the request's Host; None when unknown."""
