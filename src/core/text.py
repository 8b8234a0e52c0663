"""Text that users type: validated at the edge so the OpenAPI schema tells the truth.

The patterns are in the schema (clients and fuzzers see them); `tidy` then trims and
normalises what passed. A name may have surrounding spaces (trimmed away) but must hold
at least one visible character and no control characters anywhere.

The patterns spell characters out instead of using the whitespace or word-character
shorthand classes: those differ between Python's `re` (which checks input here) and
ECMAScript regexes (which clients and generators apply to the same schema), and a
pattern must mean one thing to both. For the same reason every pattern ends in `END`:
Python's `$` also matches just before a final line feed (so `^[a-z]+$` accepts "ada\n"),
where ECMAScript's `$` matches only at the very end; the lookahead makes both mean the end.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated, Final

from msgspec import Meta

from src.core.errors import FieldError, InvalidInput

__all__ = (
    "BIDI_CONTROLS",
    "END",
    "INVISIBLE",
    "NAME_PATTERN",
    "TEXT_PATTERN",
    "CurrentPassword",
    "EmailAddress",
    "MfaCode",
    "Name",
    "Password",
    "check_password_size",
    "normalize_email",
    "tidy",
)

END: Final = r"(?!\n)$"
_CONTROL: Final = r"\x00-\x1f\x7f-\x9f"
# Free text may hold tabs and line breaks, never the other controls (nor NUL, which a
# PostgreSQL text column cannot store).
_TEXT_CONTROL: Final = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidirectional embeddings, overrides and isolates reorder what follows them (a name
# that reads as another, a direction spoofed): never in text people write here. Right-to-
# left scripts need none of them; the implicit marks (LRM, RLM) stay allowed inside text.
BIDI_CONTROLS: Final = r"\u202a-\u202e\u2066-\u2069"
# Space separators (and the byte-order mark): trimmed from the ends of names.
_SPACE: Final = r" \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPACE_CHARACTERS: Final = "".join(
    chr(code) for code in (0x20, 0xA0, 0x1680, *range(0x2000, 0x200C), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF)
)
# What draws nothing: format characters, fillers and blank look-alikes (soft hyphen,
# joiners, Hangul fillers, the blank Braille pattern, variation selectors). Allowed inside
# a name (a joiner makes a family emoji, a selector an emoji's colour), never all of it.
INVISIBLE: Final = (
    r"\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2060-\u2064\u206a-\u206f"
    r"\u2800\u3164\ufe00-\ufe0f\ufeff\uffa0"
)
_VISIBLE: Final = rf"[^{_SPACE}{INVISIBLE}{_CONTROL}{BIDI_CONTROLS}]"
_INSIDE: Final = rf"[^{_CONTROL}{BIDI_CONTROLS}]"
# Spaces at the ends (trimmed), a visible first character, and a visible last one (or an
# emoji's variation selector): a name always shows something.
NAME_PATTERN: Final = rf"^[{_SPACE}]*{_VISIBLE}(?:{_INSIDE}*(?:{_VISIBLE}|[\ufe00-\ufe0f]))?[{_SPACE}]*{END}"
_EMAIL_PART: Final = rf"[^@{_SPACE}{INVISIBLE}{_CONTROL}{BIDI_CONTROLS}]"
EMAIL_PATTERN: Final = rf"^{_EMAIL_PART}+@{_EMAIL_PART}+\.[^@.{_SPACE}{INVISIBLE}{_CONTROL}{BIDI_CONTROLS}]+{END}"
TEXT_PATTERN: Final = rf"^[^{_TEXT_CONTROL}{BIDI_CONTROLS}]*{END}"
PASSWORD_MAX_BYTES: Final = 256

type Name = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=50,
        pattern=NAME_PATTERN,
        description="1-50 characters with at least one visible one; no control or bidirectional control "
        "characters; surrounding spaces are trimmed",
        examples=["Ada Lovelace"],
    ),
]
type EmailAddress = Annotated[
    str,
    Meta(
        min_length=3,
        max_length=254,
        pattern=EMAIL_PATTERN,
        description="Compared and stored normalised: NFKC (full-width forms are the same address), lower case",
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


# A password the account already has: checked, not judged (it may predate today's rules).
type CurrentPassword = Annotated[str, Meta(min_length=1, max_length=1024, examples=["correct horse battery staple"])]

# A second-factor code: six digits from an authenticator app, or a backup code (16
# characters, typed with or without its dashes and spaces).
type MfaCode = Annotated[
    str,
    Meta(
        pattern=rf"^[0-9A-Za-z -]{{6,32}}{END}",
        description="The six digits your authenticator app shows now, or one of your backup codes",
        examples=["492039"],
    ),
]


def tidy(value: str) -> str:
    """Trimmed (of exactly the spaces the pattern allows at the ends) and NFC-normalised,
    so equal-looking names are equal."""
    return unicodedata.normalize("NFC", value.strip(_SPACE_CHARACTERS))


def normalize_email(value: str) -> str:
    """One account per address however it is typed: NFKC folds compatibility forms (the
    full-width letters of `ada@example.com` are `ada@example.com`), then lower case."""
    return unicodedata.normalize("NFKC", value).lower()


def check_password_size(password: str, *, pointer: str) -> None:
    """The schema bounds characters; this bounds bytes, which is what hashing costs."""
    if len(password.encode()) > PASSWORD_MAX_BYTES:
        detail = f"Expected at most {PASSWORD_MAX_BYTES} bytes as UTF-8"
        raise InvalidInput(detail, errors=(FieldError(pointer=pointer, detail=detail),))
