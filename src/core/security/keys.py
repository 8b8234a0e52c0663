"""The service's signing keys: one ES256 key signs, every listed key verifies.

Keys come from settings: `JWT_PRIVATE_KEY` (PEM text, or `@/path/to/key.pem`) is the
active key; `JWT_PREVIOUS_PUBLIC_KEYS` lists public keys still accepted during a
rotation. Each key's `kid` is its RFC 7638 JWK thumbprint, so nothing has to be named by
hand and a `kid` always identifies exactly one key. Only P-256 EC keys are accepted: one
algorithm family, never RSA, never HMAC.

In development (no JWT_PRIVATE_KEY) a key is generated once into DATA_DIR with a warning;
production refuses to start without one (see settings).

The key also seeds other server-side MACs (`derive`), such as pagination cursors, so
the service has one secret to manage, not several.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path
from typing import Any, Final

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from src.core.observability.logging import get_logger
from src.core.settings import Settings, SettingsError

__all__ = ("DEV_KEY_FILE", "SigningKeys", "generate_private_key_pem")

log = get_logger(component="keys")

DEV_KEY_FILE: Final = "jwt-signing-key.pem"
_PEM_BLOCK: Final = b"-----END PUBLIC KEY-----"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }


def _thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the required members, lexicographically ordered, no spaces."""
    canonical = msgspec.json.encode({name: jwk[name] for name in ("crv", "kty", "x", "y")})
    return _b64url(hashlib.sha256(canonical).digest())


def generate_private_key_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _read(value: str, variable: str) -> bytes:
    if value.startswith("@"):
        path = Path(value[1:]).expanduser()
        try:
            return path.read_bytes()
        except OSError as exc:
            raise SettingsError(f"{variable} points to {path}, which cannot be read ({exc.strerror})") from None
    return value.replace("\\n", "\n").encode()


def _p256(key: Any, variable: str) -> None:
    curve = getattr(key, "curve", None)
    if not isinstance(curve, ec.SECP256R1):
        raise SettingsError(f"{variable} must be an EC P-256 key (ES256); other key types are refused")


def _development_key(data_dir: Path) -> bytes:
    """Generate once; concurrent workers race safely (exclusive link of a complete file)."""
    path = data_dir / DEV_KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f".{DEV_KEY_FILE}.{os.getpid()}"
        temporary.write_bytes(generate_private_key_pem())
        temporary.chmod(0o600)
        try:
            os.link(temporary, path)
            log.warning("jwt_key_generated", path=str(path), note="development only; set JWT_PRIVATE_KEY in production")
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_bytes()


class SigningKeys:
    __slots__ = ("_private", "_secret", "active_kid", "public_keys")

    def __init__(self, private_pem: bytes, previous_public_pems: bytes = b"") -> None:
        try:
            private = serialization.load_pem_private_key(private_pem, password=None)
        except ValueError:
            raise SettingsError("JWT_PRIVATE_KEY is not a readable, unencrypted PEM private key") from None
        _p256(private, "JWT_PRIVATE_KEY")
        assert isinstance(private, ec.EllipticCurvePrivateKey)  # noqa: S101 - narrowed by _p256
        self._private = private
        self.public_keys: dict[str, ec.EllipticCurvePublicKey] = {}
        self.active_kid = self._add(private.public_key())
        for block in previous_public_pems.split(_PEM_BLOCK):
            if block.strip():
                try:
                    public = serialization.load_pem_public_key(block + _PEM_BLOCK)
                except ValueError:
                    raise SettingsError(
                        "JWT_PREVIOUS_PUBLIC_KEYS holds something that is not a PEM public key"
                    ) from None
                _p256(public, "JWT_PREVIOUS_PUBLIC_KEYS")
                assert isinstance(public, ec.EllipticCurvePublicKey)  # noqa: S101
                self._add(public)
        raw = private.private_numbers().private_value.to_bytes(32, "big")
        self._secret = hashlib.sha256(b"avatar-api/derived-secrets/v1" + raw).digest()

    def _add(self, key: ec.EllipticCurvePublicKey) -> str:
        kid = _thumbprint(_public_jwk(key))
        self.public_keys[kid] = key
        return kid

    @classmethod
    def from_settings(cls, settings: Settings) -> SigningKeys:
        """Blocking (file reads, key generation): call from start-up code, off the event loop."""
        if settings.jwt_private_key:
            private = _read(settings.jwt_private_key, "JWT_PRIVATE_KEY")
        else:
            private = _development_key(settings.data_dir)
        previous = b""
        if settings.jwt_previous_public_keys:
            previous = _read(settings.jwt_previous_public_keys, "JWT_PREVIOUS_PUBLIC_KEYS")
        return cls(private, previous)

    @property
    def private_key(self) -> ec.EllipticCurvePrivateKey:
        return self._private

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWK Set to publish: every key that verifies, the active one first."""
        ordered = [self.active_kid, *(kid for kid in self.public_keys if kid != self.active_kid)]
        return {
            "keys": [
                {**_public_jwk(self.public_keys[kid]), "kid": kid, "use": "sig", "alg": "ES256"} for kid in ordered
            ]
        }

    def derive(self, purpose: str) -> bytes:
        """A secret for `purpose` (e.g. "cursor"), stable for as long as the signing key is."""
        return hmac.new(self._secret, purpose.encode(), hashlib.sha256).digest()
