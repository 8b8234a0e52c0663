from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ("JsonWebKey", "JsonWebKeySet")


class JsonWebKey(msgspec.Struct, frozen=True):
    kty: Literal["EC"]
    crv: Literal["P-256"]
    x: str
    y: str
    kid: str
    use: Literal["sig"]
    alg: Literal["ES256"]


class JsonWebKeySet(msgspec.Struct, frozen=True):
    keys: list[JsonWebKey]
