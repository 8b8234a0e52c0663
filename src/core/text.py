"""Text that users type: validated at the edge so the OpenAPI schema tells the truth.

The patterns are in the schema (clients and fuzzers see them); `tidy` then trims and
normalises what passed. A name may have surrounding spaces (trimmed away) but must hold
at least one visible character and no control characters anywhere.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Final

from msgspec import Meta

from src.core.errors import FieldError, InvalidInput

__all__ = (
    "NAME_PATTERN",
    "EmailAddress",
    "Name",
    "Password",
    "check_password_size",
    "normalize_email",
    "tidy",
)

_CONTROL: Final = r"\x00-\x1f\x7f-\x9f"
NAME_PATTERN: Final = rf"^\s*[^\s{_CONTROL}](?:[^{_CONTROL}]*[^\s{_CONTROL}])?\s*$"
EMAIL_PATTERN: Final = r"^[^@\s]+@[^@\s]+\.[^@\s.]+$"
PASSWORD_MAX_BYTES: Final = 256

type Name = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=50,
        pattern=NAME_PATTERN,
        description="1-50 characters, no control characters; surrounding spaces are trimmed",
        examples=["Ada Lovelace"],
    ),
]
type EmailAddress = Annotated[
    str,
    Meta(
        min_length=3,
        max_length=254,
        pattern=EMAIL_PATTERN,
        description="Case-insensitive: stored lower-cased",
        examples=["ada@example.com"],
    ),
]
type Password = Annotated[
    str,
    Meta(
        min_length=10,
        max_length=128,
        description=f"10-128 characters (at most {PASSWORD_MAX_BYTES} bytes as UTF-8)",
        examples=["correct horse battery staple"],
    ),
]


def tidy(value: str) -> str:
    """Trimmed and NFC-normalised, so equal-looking names are equal."""
    return unicodedata.normalize("NFC", value.strip())


def normalize_email(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip()).lower()


def check_password_size(password: str, *, pointer: str) -> None:
    """The schema bounds characters; this bounds bytes, which is what hashing costs."""
    if len(password.encode()) > PASSWORD_MAX_BYTES:
        detail = f"Expected at most {PASSWORD_MAX_BYTES} bytes as UTF-8"
        raise InvalidInput(detail, errors=(FieldError(pointer=pointer, detail=detail),))
