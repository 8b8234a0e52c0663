"""API keys (personal access tokens): their format, their hash, and the keys a worker has
verified lately.

A key is `ava_` + 43 base62 characters (256 random bits) + 6 base62 characters of a CRC-32
of those 43 (GitHub's token format, in our prefix):

- the prefix lets a secret scanner find a leaked key, and lets the auth gate tell a key
  from a JWT without parsing either;
- the checksum refuses a mistyped or made-up key without a database trip;
- the first 12 characters after the prefix are the key's public `lookup` (shown in the
  list as `ava_<lookup>`, indexed), so verification reads one row;
- only the SHA-256 of the whole key is stored (a key has 256 random bits: a slow hash adds
  nothing), compared in constant time.

`VerifiedKeys` remembers, per worker, the keys that verified against the database in the
last `ttl` seconds (1 by default): reads with a key then cost no query, and a revocation
or a suspension made on another instance is honoured here within that time. Writes never
rely on it (core.http.auth checks them on the request's connection).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import zlib
from collections import OrderedDict
from datetime import datetime
from typing import Final, Literal, get_args
from uuid import UUID

import msgspec

from src.core.security.roles import Role

__all__ = (
    "API_KEY_PREFIX",
    "SCOPES",
    "ApiKeyClaims",
    "Scope",
    "VerifiedKeys",
    "hash_api_key",
    "lookup_of",
    "new_api_key",
    "well_formed",
)

API_KEY_PREFIX: Final = "ava_"
_ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BODY_LENGTH: Final = 43  # 256 bits in base62
_CHECKSUM_LENGTH: Final = 6  # a CRC-32 (32 bits) in base62
_LOOKUP_LENGTH: Final = 12
_KEY_LENGTH: Final = len(API_KEY_PREFIX) + _BODY_LENGTH + _CHECKSUM_LENGTH
_REMEMBERED: Final = 4096

# What a key may be allowed to do; a route declares the one it needs (core.http.auth).
type Scope = Literal["avatars:read", "avatars:write", "webhooks:manage", "account:read", "account:write", "admin"]
SCOPES: Final[tuple[Scope, ...]] = get_args(Scope.__value__)


def _base62(number: int, length: int) -> str:
    digits = []
    for _ in range(length):
        number, digit = divmod(number, 62)
        digits.append(_ALPHABET[digit])
    return "".join(reversed(digits))


def _checksum(body: str) -> str:
    return _base62(zlib.crc32(body.encode()), _CHECKSUM_LENGTH)


def new_api_key() -> str:
    body = _base62(secrets.randbits(256), _BODY_LENGTH)
    return f"{API_KEY_PREFIX}{body}{_checksum(body)}"


def well_formed(key: str) -> bool:
    """Prefix, length, alphabet and checksum: what can be checked without the database."""
    # ASCII first: a header is read as latin-1, and compare_digest refuses other strings.
    if len(key) != _KEY_LENGTH or not key.isascii() or not key.startswith(API_KEY_PREFIX):
        return False
    body = key[len(API_KEY_PREFIX) : len(API_KEY_PREFIX) + _BODY_LENGTH]
    if any(character not in _ALPHABET for character in body):
        return False
    return hmac.compare_digest(key[-_CHECKSUM_LENGTH:], _checksum(body))


def lookup_of(key: str) -> str:
    """The public part that finds the key's row (and names it in lists)."""
    return key[len(API_KEY_PREFIX) : len(API_KEY_PREFIX) + _LOOKUP_LENGTH]


def hash_api_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class ApiKeyClaims(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    """A key that verified: whose, which, what it may do, until when, the owner's role."""

    user_id: UUID
    key_id: UUID
    scopes: frozenset[Scope]
    expires_at: datetime | None
    role: Role


class VerifiedKeys:
    """The keys verified lately, by their hash: `remembered` answers for `ttl` seconds."""

    __slots__ = ("_entries", "_last_used_written", "_ttl")

    def __init__(self, ttl: float = 1.0) -> None:
        self._ttl = ttl
        self._entries: OrderedDict[bytes, tuple[float, ApiKeyClaims]] = OrderedDict()
        self._last_used_written: dict[UUID, float] = {}

    def remembered(self, key_hash: bytes) -> ApiKeyClaims | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        verified_at, claims = entry
        if time.monotonic() - verified_at > self._ttl:
            del self._entries[key_hash]
            return None
        return claims

    def remember(self, key_hash: bytes, claims: ApiKeyClaims) -> None:
        self._entries[key_hash] = (time.monotonic(), claims)
        self._entries.move_to_end(key_hash)
        if len(self._entries) > _REMEMBERED:
            self._entries.popitem(last=False)

    def forget(self, key_id: UUID) -> None:
        """A key revoked here: refused by this worker at once."""
        for key_hash in [h for h, (_, claims) in self._entries.items() if claims.key_id == key_id]:
            del self._entries[key_hash]

    def last_used_due(self, key_id: UUID, every: float = 60.0) -> bool:
        """Whether this worker should write the key's `last_used_at` now (at most once per `every` s)."""
        now = time.monotonic()
        written = self._last_used_written.get(key_id)
        if written is not None and now - written < every:
            return False
        self._last_used_written[key_id] = now
        if len(self._last_used_written) > _REMEMBERED:
            self._last_used_written.pop(next(iter(self._last_used_written)))
        return True
