"""TOTP (RFC 6238) and backup codes: the pure parts of two-factor sign-in.

- A secret is 160 random bits in base32 (RFC 4226 recommends at least 128), six digits
  every 30 seconds with HMAC-SHA1: what every authenticator app reads from an
  `otpauth://` URI.
- `matching_step` says which time step a code belongs to within the valid window (None:
  no match), so the caller can accept each step once (RFC 6238 section 5.2: a verifier
  must not accept the second attempt of the same OTP) with a conditional UPDATE.
- A backup code is 16 Crockford base32 characters (80 random bits), shown as
  `XXXX-XXXX-XXXX-XXXX`; typed with or without dashes and spaces, in any case, with the
  look-alikes O/0 and I/L/1 forgiven. Only its SHA-256 is stored: 80 bits leave nothing
  to guess from a stolen table, and no key means rotating one cannot orphan them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime
from typing import Final
from uuid import UUID

import pyotp

__all__ = (
    "BACKUP_CODE_COUNT",
    "hash_backup_code",
    "is_totp_code",
    "matching_step",
    "new_backup_codes",
    "new_secret",
    "normalize_backup_code",
    "provisioning_uri",
    "secret_context",
)

BACKUP_CODE_COUNT: Final = 10
_CROCKFORD: Final = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_BACKUP_CODE_LENGTH: Final = 16
_LOOK_ALIKES: Final = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})
_BACKUP_CODE: Final = re.compile(f"[{_CROCKFORD}]{{{_BACKUP_CODE_LENGTH}}}")
_TOTP_CODE: Final = re.compile(r"[0-9]{6}")


def new_secret() -> str:
    return pyotp.random_base32()


def secret_context(user_id: UUID) -> bytes:
    """What a sealed secret is bound to: its account (a secret copied to another row does not open)."""
    return b"totp:" + user_id.bytes


def provisioning_uri(secret: str, *, account_name: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI authenticator apps read (from a QR code or pasted)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account_name, issuer_name=issuer)


def is_totp_code(code: str) -> bool:
    return _TOTP_CODE.fullmatch(code) is not None


def matching_step(secret: str, code: str, *, now: datetime, window: int) -> int | None:
    """The time step within `window` steps of `now` whose code is `code`, or None. Every
    candidate is compared (in constant time), so the answer's timing says nothing."""
    if not is_totp_code(code):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    found: int | None = None
    for offset in range(-window, window + 1):
        step = current + offset
        if hmac.compare_digest(totp.generate_otp(step), code) and found is None:
            found = step
    return found


def new_backup_codes() -> tuple[list[str], list[bytes]]:
    """Ten fresh codes as shown to the user (once), and the hashes to store."""
    codes = ["".join(secrets.choice(_CROCKFORD) for _ in range(_BACKUP_CODE_LENGTH)) for _ in range(BACKUP_CODE_COUNT)]
    shown = ["-".join(code[i : i + 4] for i in range(0, _BACKUP_CODE_LENGTH, 4)) for code in codes]
    return shown, [hash_backup_code(code) for code in codes]


def normalize_backup_code(code: str) -> str | None:
    """The code's 16 characters as generated, or None when it cannot be a backup code."""
    normalized = code.upper().translate(_LOOK_ALIKES)
    return normalized if _BACKUP_CODE.fullmatch(normalized) else None


def hash_backup_code(normalized: str) -> bytes:
    return hashlib.sha256(normalized.encode()).digest()
