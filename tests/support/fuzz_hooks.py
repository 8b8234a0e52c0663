"""Schemathesis hooks for the API fuzz in `.ci/run` (loaded with `SCHEMATHESIS_HOOKS`).

The fuzzer draws `Idempotency-Key` values from a small space and reuses them across
scenarios. A reused key with the same body is, by design, a replay of the first response:
when another scenario has deleted that avatar in between, the replayed `201` names an
avatar that is gone, and the "created resource not found" check (ST302) fails on behaviour
that is correct. A valid key is made unique per request here, so every create the fuzzer
sends is a first use; replays and reuse are covered by the idempotency tests.

Only positive cases are touched: a negative one creates nothing, and an edit makes the
fuzzer judge a case again from its headers alone, which would turn a "missing
Authorization" case into a positive one sent with the token.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Final

import schemathesis

from src.core.idempotency import IDEMPOTENCY_KEY_HEADER, KEY_MAX_LENGTH, KEY_PATTERN

_HEADER: Final = IDEMPOTENCY_KEY_HEADER.lower()
_VALID: Final = re.compile(KEY_PATTERN)
_SUFFIX_LENGTH: Final = 33  # "~" and 32 hex digits


def _is_valid(key: str) -> bool:
    return len(key) <= KEY_MAX_LENGTH and _VALID.fullmatch(key) is not None


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]) -> None:
    del context, kwargs
    if not case.headers or (case.meta is not None and not case.meta.generation.mode.is_positive):
        return
    for name, value in case.headers.items():
        if name.lower() == _HEADER and isinstance(value, str) and _is_valid(value):
            case.headers[name] = f"{value[: KEY_MAX_LENGTH - _SUFFIX_LENGTH]}~{secrets.token_hex(16)}"
            return
