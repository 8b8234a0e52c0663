from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = ("AuthorizationServerMetadata",)


class AuthorizationServerMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """RFC 8414 section 2: what an OAuth client needs to find and use the token endpoint."""

    issuer: Annotated[str, Meta(description="The `iss` of every access token (JWT_ISSUER)", examples=["avatar-api"])]
    jwks_uri: Annotated[str, Meta(description="The keys that verify access tokens")]
    token_endpoint: Annotated[str, Meta(description="Where the password and refresh_token grants are sent")]
    grant_types_supported: Annotated[
        list[Literal["password", "refresh_token", "urn:avatar-api:oauth:grant-type:mfa-otp"]],
        Meta(description="The mfa-otp grant is the second step of a password grant answered `mfa_required`"),
    ]
    token_endpoint_auth_methods_supported: Annotated[
        list[Literal["none"]], Meta(description="Public clients only: no client authentication")
    ]
    response_types_supported: Annotated[
        list[str], Meta(description="Empty: there is no authorization endpoint, so no response type")
    ]
    service_documentation: Annotated[str, Meta(description="The interactive API documentation")]
