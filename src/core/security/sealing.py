"""Sealing: AES-256-GCM for secrets the service must read back (TOTP secrets), under
DATA_ENCRYPTION_KEY.

A sealed value is `version (1 byte, 0x01) | key id (4 bytes) | nonce (12 bytes) |
ciphertext and tag`, and is bound to a `context` (associated data, e.g. `b"totp:" + user
id`): a value copied into another row, or another purpose, does not open. The key id
names the key that sealed it, so a rotation needs no migration: set the new key as
DATA_ENCRYPTION_KEY and move the old one to DATA_ENCRYPTION_PREVIOUS_KEYS; old values
still open (`unseal`), new ones are sealed with the new key, and `sealed_with_previous`
tells which values to seal again.

Not derived from the JWT signing key (`SigningKeys.derive`): that changes whenever the
signing key rotates, which would orphan every sealed value.

In development (no DATA_ENCRYPTION_KEY) a key is generated once into DATA_DIR with a
warning; production refuses to start without one (see settings).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from src.core.observability.logging import get_logger
from src.core.settings import Settings, SettingsError

__all__ = ("DEV_DATA_KEY_FILE", "Sealer", "generate_data_key", "parse_data_key")

log = get_logger(component="sealing")

DEV_DATA_KEY_FILE: Final = "data-encryption-key"
_VERSION: Final = b"\x01"
_KEY_ID_SIZE: Final = 4
_NONCE_SIZE: Final = 12
_HEADER_SIZE: Final = 1 + _KEY_ID_SIZE + _NONCE_SIZE
_KEY_SIZE: Final = 32
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")


def generate_data_key() -> str:
    """A new key, as DATA_ENCRYPTION_KEY takes it: 32 random bytes, base64url."""
    return base64.urlsafe_b64encode(secrets.token_bytes(_KEY_SIZE)).rstrip(b"=").decode()


def parse_data_key(text: str, variable: str) -> bytes:
    """32 bytes from base64url (padded or not); the value itself is never echoed."""
    cleaned = text.strip().rstrip("=")
    if not _BASE64URL.fullmatch(cleaned):
        raise SettingsError(f"{variable} is not base64url (make one: api keys generate-data-key)")
    try:
        key = base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError):
        raise SettingsError(f"{variable} is not base64url (make one: api keys generate-data-key)") from None
    if len(key) != _KEY_SIZE:
        raise SettingsError(f"{variable} must be 32 bytes (base64url); make one: api keys generate-data-key")
    return key


def _read(value: str, variable: str) -> str:
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_text()
        except OSError as exc:
            raise SettingsError(f"{variable} points to {path}, which cannot be read ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise SettingsError(f"{variable} points to {path}, which is not base64url text") from None
    return value


def _development_key(data_dir: Path) -> str:
    """Generate once; concurrent workers race safely (exclusive link of a complete file)."""
    path = data_dir / DEV_DATA_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{DEV_DATA_KEY_FILE}.{os.getpid()}"
        temporary.write_text(generate_data_key() + "\n")
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
            log.warning(
                "data_key_generated", path=str(path), note="development only; set DATA_ENCRYPTION_KEY in production"
            )
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text()


def _key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"avatar-api/data-key-id/v1" + key).digest()[:_KEY_ID_SIZE]


class Sealer:
    __slots__ = ("_keys", "_primary_id")

    def __init__(self, primary: bytes, previous: Sequence[bytes] = ()) -> None:
        self._primary_id = _key_id(primary)
        self._keys: dict[bytes, AESGCM] = {}
        for key in (primary, *previous):
            if len(key) != _KEY_SIZE:
                raise SettingsError("a data encryption key must be 32 bytes")
            self._keys.setdefault(_key_id(key), AESGCM(key))

    @classmethod
    def from_settings(cls, settings: Settings) -> Sealer:
        """Blocking (file reads, key generation): call from start-up code, off the event loop."""
        if settings.data_encryption_key:
            primary = _read(settings.data_encryption_key, "DATA_ENCRYPTION_KEY")
        else:
            primary = _development_key(settings.data_dir)
        previous = [
            parse_data_key(_read(value, "DATA_ENCRYPTION_PREVIOUS_KEYS"), "DATA_ENCRYPTION_PREVIOUS_KEYS")
            for value in settings.data_encryption_previous_keys
        ]
        return cls(parse_data_key(primary, "DATA_ENCRYPTION_KEY"), previous)

    def seal(self, data: bytes, *, context: bytes) -> bytes:
        """`data` encrypted and authenticated with the primary key, bound to `context`."""
        nonce = secrets.token_bytes(_NONCE_SIZE)
        header = _VERSION + self._primary_id + nonce
        return header + self._keys[self._primary_id].encrypt(nonce, data, _VERSION + self._primary_id + context)

    def unseal(self, sealed: bytes, *, context: bytes) -> bytes | None:
        """The data, or None: altered, sealed for another context, or under a key no longer configured."""
        if len(sealed) < _HEADER_SIZE or sealed[:1] != _VERSION:
            return None
        key_id = sealed[1 : 1 + _KEY_ID_SIZE]
        key = self._keys.get(key_id)
        if key is None:
            return None
        try:
            return key.decrypt(
                sealed[1 + _KEY_ID_SIZE : _HEADER_SIZE], sealed[_HEADER_SIZE:], _VERSION + key_id + context
            )
        except InvalidTag:
            return None

    def sealed_with_previous(self, sealed: bytes) -> bool:
        """Whether a value was sealed with a key other than the primary one (seal it again)."""
        return sealed[1 : 1 + _KEY_ID_SIZE] != self._primary_id
