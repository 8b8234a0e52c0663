"""Sending one webhook message the Standard Webhooks way (https://www.standardwebhooks.com).

- Headers: `webhook-id` (the message id, the same on every retry), `webhook-timestamp`
  (unix seconds of this attempt), `webhook-signature` (`v1,<base64 HMAC-SHA256>` over
  `id.timestamp.body`, one per active secret, space-separated during a rotation).
- Secrets are `whsec_` + base64 of 32 random bytes; the HMAC key is the decoded bytes.
- One attempt is one POST through the shared, guarded aiohttp session: a short timeout,
  redirects not followed, at most `max_response_bytes` of the answer read. 2xx is
  success; anything else, a timeout, a connection error or a refused destination is a
  failed attempt, described by `AttemptResult` for the delivery log.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import Final

import aiohttp
import msgspec

from src.core.security.outbound import BlockedDestination, OutboundGuard

__all__ = (
    "SECRET_PREFIX",
    "AttemptResult",
    "message_body",
    "new_secret",
    "send_webhook",
    "sign",
)

SECRET_PREFIX: Final = "whsec_"  # noqa: S105 - the format's prefix, not a secret
USER_AGENT: Final = "avatar-api-webhooks/1.0"


class AttemptResult(msgspec.Struct, frozen=True):
    delivered: bool
    status_code: int | None
    duration_ms: int
    error: str | None
    """A short class of failure: http_<status>, timeout, connection_error, blocked_destination..."""


class _Message(msgspec.Struct, frozen=True):
    type: str
    timestamp: datetime
    data: msgspec.Raw


def message_body(event_type: str, occurred_at: datetime, data_json: str) -> bytes:
    """`{type, timestamp, data}`; `data_json` is the event's stored JSON, embedded as is."""
    return msgspec.json.encode(_Message(event_type, occurred_at, msgspec.Raw(data_json.encode())))


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


async def send_webhook(
    http: aiohttp.ClientSession,
    guard: OutboundGuard,
    *,
    url: str,
    message_id: str,
    body: bytes,
    secrets_: Sequence[str],
    timeout: float,
    max_response_bytes: int,
    request_id: str | None = None,
) -> AttemptResult:
    started = time.perf_counter()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(secret, message_id, timestamp, body) for secret in secrets_),
    }
    if request_id:
        headers["X-Request-ID"] = request_id
    try:
        guard.check_url(url)  # IP literals never reach the guarded resolver
        async with http.post(
            url, data=body, headers=headers, allow_redirects=False, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as response:
            if max_response_bytes:
                await response.content.read(max_response_bytes)
            status = response.status
    except BlockedDestination:
        return _failed(started, "blocked_destination")
    except TimeoutError:
        return _failed(started, "timeout")
    except aiohttp.ClientConnectionError:
        return _failed(started, "connection_error")
    except aiohttp.ClientError:
        return _failed(started, "http_error")
    elapsed = _elapsed_ms(started)
    if 200 <= status < 300:
        return AttemptResult(delivered=True, status_code=status, duration_ms=elapsed, error=None)
    return AttemptResult(delivered=False, status_code=status, duration_ms=elapsed, error=f"http_{status}")


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _failed(started: float, error: str) -> AttemptResult:
    return AttemptResult(delivered=False, status_code=None, duration_ms=_elapsed_ms(started), error=error)
