from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("EnrolTotp",)


class EnrolTotp(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    current_password: str
    issuer: str
    """TOTP_ISSUER: what authenticator apps show beside the account."""
