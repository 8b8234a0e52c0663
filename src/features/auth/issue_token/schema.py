"""The OAuth 2 token endpoint's wire contract (RFC 6749): the form it reads and the error
body it answers with. The success body is the kernel's `TokenPair`, as for /login."""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec
from msgspec import Meta

from src.core.text import EMAIL_PATTERN

__all__ = ("GRANT_TYPES", "MFA_OTP_GRANT", "OAuthErrorCode", "TokenErrorResponse", "TokenRequest")

# The second step of a password grant answered `mfa_required` (the shape Auth0 uses:
# RFC 6749 section 4.5 lets a server define grant types named by absolute URIs).
MFA_OTP_GRANT: Final = "urn:avatar-api:oauth:grant-type:mfa-otp"
GRANT_TYPES: Final = ("password", "refresh_token", MFA_OTP_GRANT)
_REFRESH_EXAMPLE: Final = "Yx8Lq3VbZb7mDZ6j0x0JYk0u2pbe8fN3wXa9pQy0s4I"

type OAuthErrorCode = Literal[
    "invalid_request", "invalid_grant", "unsupported_grant_type", "invalid_scope", "mfa_required"
]


class TokenRequest(msgspec.Struct, kw_only=True):
    """`application/x-www-form-urlencoded`. Unknown parameters are ignored, as RFC 6749
    section 3.2 requires (not refused, as JSON bodies are): OAuth clients add their own.
    A parameter sent empty is one left out (section 3.1), so the document allows the empty
    string for each (`refresh_token=` beside a password grant is no refresh token)."""

    # A plain string on the wire: a value outside the enum is `unsupported_grant_type`
    # (RFC 6749 section 5.2), not a validation error. The enum is for the document.
    grant_type: Annotated[
        str,
        Meta(
            max_length=64,
            description="`password` (username and password), `refresh_token` (refresh_token), or "
            f"`{MFA_OTP_GRANT}` (mfa_token and otp: the second step after `mfa_required`)",
            examples=["password"],
            extra_json_schema={"extra": {"enum": list(GRANT_TYPES)}},
        ),
    ]
    username: (
        Annotated[
            str,
            Meta(
                max_length=254,
                pattern=f"^$|{EMAIL_PATTERN}",
                description="The account's e-mail address; for grant_type=password",
                examples=["ada@example.com"],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    # Not held to the sign-up rules: an account made under older rules can still log in.
    password: (
        Annotated[
            str,
            Meta(
                max_length=1024,
                description="The account's password; for grant_type=password",
                examples=["correct horse battery staple"],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    refresh_token: (
        Annotated[
            str,
            Meta(
                max_length=256,
                description="From the last token response; for grant_type=refresh_token",
                examples=[_REFRESH_EXAMPLE],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    mfa_token: (
        Annotated[
            str,
            Meta(
                max_length=256,
                description=f"From the `mfa_required` error of a password grant; for grant_type={MFA_OTP_GRANT}",
                examples=["q8Yh2r0m3Vb7dZ6j0x0JYk0u2pbe8fN3wXa9pQy0s4I"],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    otp: (
        Annotated[
            str,
            Meta(
                max_length=32,
                description=f"A code from the authenticator app, or a backup code; for grant_type={MFA_OTP_GRANT}",
                examples=["492039"],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    scope: (
        Annotated[
            str,
            Meta(
                max_length=1024,
                description="This service defines no scopes: leave it out or empty (anything else is `invalid_scope`)",
                examples=[""],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    client_id: (
        Annotated[
            str,
            Meta(
                max_length=256,
                description="Optional and ignored: every client is public (no client authentication)",
                examples=["my-cli"],
            ),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET


class TokenErrorResponse(msgspec.Struct, frozen=True, kw_only=True):
    """An error of the token endpoint, as RFC 6749 section 5.2 shapes it."""

    error: Annotated[OAuthErrorCode, Meta(description="Branch on this")]
    error_description: Annotated[str, Meta(description="For humans: what is wrong with this request")]
    mfa_token: (
        Annotated[str, Meta(description=f"With mfa_required: send it with an otp, grant_type={MFA_OTP_GRANT}")]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    mfa_token_expires_in: (
        Annotated[int, Meta(description="With mfa_required: seconds until the mfa_token expires")] | msgspec.UnsetType
    ) = msgspec.UNSET
