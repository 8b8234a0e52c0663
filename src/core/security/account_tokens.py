"""Single-use tokens that account e-mail carries (verify an address, change it, reset a
password): 256 random bits, URL-safe, and only their SHA-256 stored (`account_tokens`).

A token is spent by one conditional UPDATE (open, unexpired, of the expected purposes):
two concurrent uses give one success, a replay finds it spent, and a token issued for one
purpose never works for another.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Final, Literal

from src.core.text import END

__all__ = ("TOKEN_PATTERN", "AccountTokenPurpose", "hash_account_token", "new_account_token")

type AccountTokenPurpose = Literal["verify_email", "change_email", "reset_password"]

# What a token looks like on the wire (43 URL-safe base64 characters); anything else is
# refused by the schema before a query runs.
TOKEN_PATTERN: Final = rf"^[A-Za-z0-9_-]{{43}}{END}"


def new_account_token() -> tuple[str, bytes]:
    """(the token for the link, the hash to store)."""
    token = secrets.token_urlsafe(32)
    return token, hash_account_token(token)


def hash_account_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()
