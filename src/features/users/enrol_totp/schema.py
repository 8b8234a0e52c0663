from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.text import CurrentPassword

__all__ = ("EnrolTotpRequest", "TotpEnrolment")


class EnrolTotpRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Turning a second factor on is for the account's owner: the password is asked again."""

    current_password: CurrentPassword


class TotpEnrolment(msgspec.Struct, frozen=True, kw_only=True):
    """The new secret, shown this once: scan the QR code (or paste the URI or the secret)
    into an authenticator app, then confirm with a code it shows."""

    secret: Annotated[
        str, Meta(description="The shared secret, base32 (160 bits)", examples=["JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"])
    ]
    otpauth_uri: Annotated[
        str,
        Meta(
            description="The key URI authenticator apps read (RFC 6238, SHA-1, 6 digits, 30 s)",
            examples=[
                "otpauth://totp/Avatar%20API:ada%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Avatar%20API"
            ],
        ),
    ]
    qr_svg: Annotated[
        str, Meta(description="The URI as a QR code: a standalone SVG document, drawn by the service (no third party)")
    ]
