"""Schemathesis hooks for the API fuzz in `.ci/run` (loaded with `SCHEMATHESIS_HOOKS`).

Idempotency keys. The fuzzer draws `Idempotency-Key` values from a small space and reuses them across
scenarios. A reused key with the same body is, by design, a replay of the first response:
when another scenario has deleted that avatar in between, the replayed `201` names an
avatar that is gone, and the "created resource not found" check (ST302) fails on behaviour
that is correct. A valid key is made unique per request here, so every create the fuzzer
sends is a first use; replays and reuse are covered by the idempotency tests.

Webhook URLs. A generated host name never resolves on a machine without internet, so the
create and update operations would answer 400 before their body reached the database
(that is how a NUL in `description` hid behind the URL on create). With
`FUZZ_WEBHOOK_RECEIVER` set, a valid URL keeps its generated path and query but points at
that receiver (the fuzzed service itself, which `.ci/run` allows as a destination).

Cursors. A cursor is opaque and MAC'd: any schema-valid string the server never issued is,
by design, a 400. Every list takes its cursor in the kernel's `CURSOR_PARAMETER`, so a
positive case's cursor is emptied (the first page) here, for every list at once: a new
list needs no line in schemathesis.toml. Bad cursors are the pagination tests' job.

Only positive cases are touched: a negative one creates nothing, and an edit makes the
fuzzer judge a case again from its headers alone, which would turn a "missing
Authorization" case into a positive one sent with the token.
"""

from __future__ import annotations

import os
import re
import secrets
from typing import Any, Final

import schemathesis

from src.core.data.pagination import CURSOR_PARAMETER
from src.core.http.idempotency import IDEMPOTENCY_KEY_HEADER, KEY_MAX_LENGTH, KEY_PATTERN
from src.core.security.outbound import URL_MAX_LENGTH, URL_PATTERN

_HEADER: Final = IDEMPOTENCY_KEY_HEADER.lower()
_VALID: Final = re.compile(KEY_PATTERN)
_SUFFIX_LENGTH: Final = 33  # "~" and 32 hex digits
_WEBHOOK_OPERATIONS: Final = frozenset({"POST /api/v1/webhooks", "PATCH /api/v1/webhooks/{webhook_id}"})
_URL: Final = re.compile(URL_PATTERN)
_ORIGIN: Final = re.compile(r"^https?://[^/?#]*")


def _is_valid(key: str) -> bool:
    return len(key) <= KEY_MAX_LENGTH and _VALID.fullmatch(key) is not None


def _unique_key(case: schemathesis.Case[Any]) -> None:
    for name, value in (case.headers or {}).items():
        if name.lower() == _HEADER and isinstance(value, str) and _is_valid(value):
            case.headers[name] = f"{value[: KEY_MAX_LENGTH - _SUFFIX_LENGTH]}~{secrets.token_hex(16)}"
            return


def _at_receiver(case: schemathesis.Case[Any], receiver: str) -> None:
    body = case.body
    if case.operation.label not in _WEBHOOK_OPERATIONS or not isinstance(body, dict):
        return
    url = body.get("url")
    if isinstance(url, str) and _URL.search(url):
        body["url"] = _ORIGIN.sub(receiver.rstrip("/"), url, count=1)[:URL_MAX_LENGTH]


def _first_page(case: schemathesis.Case[Any]) -> None:
    if case.query and case.query.get(CURSOR_PARAMETER):
        case.query[CURSOR_PARAMETER] = ""


@schemathesis.hook
def before_call(context: schemathesis.HookContext, case: schemathesis.Case[Any], kwargs: dict[str, Any]) -> None:
    del context, kwargs
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    _unique_key(case)
    _first_page(case)
    if receiver := os.environ.get("FUZZ_WEBHOOK_RECEIVER"):
        _at_receiver(case, receiver)
