from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

__all__ = ("PingResult",)


class PingResult(msgspec.Struct, frozen=True, kw_only=True):
    """What happened when `webhook.ping` was sent. A failed ping is still a 200: the
    request worked, the receiver did not."""

    delivered: Annotated[bool, Meta(description="The receiver answered 2xx")]
    status_code: Annotated[int | None, Meta(description="The receiver's status; null when there was no answer")]
    duration_ms: Annotated[int, Meta(ge=0, description="Time spent on the ping, retries included")]
    attempts: Annotated[int, Meta(ge=1, description="Connection errors are retried up to 3 times in all")]
    error: Annotated[
        str | None,
        Meta(
            description="Why it failed: http_<status>, timeout, connection_error, blocked_destination, http_error",
            examples=["connection_error"],
        ),
    ]
