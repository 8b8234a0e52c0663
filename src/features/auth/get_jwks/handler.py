from __future__ import annotations

import msgspec

from src.core.security.keys import SigningKeys
from src.features.auth.get_jwks.schema import JsonWebKeySet

__all__ = ("get_jwks",)


def get_jwks(*, signing_keys: SigningKeys) -> JsonWebKeySet:
    """Every key that verifies our tokens, the signing key first: verifiers match a token's `kid`."""
    return msgspec.convert(signing_keys.jwks(), JsonWebKeySet)
