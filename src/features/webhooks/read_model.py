"""The webhooks feature's read model: the subscription as its owner sees it.

Rows map in by column name (`webhook_view`), whatever order a query selects them in.
The signing secret is never part of the view: it is shown once, when it is made.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Final, Literal, get_args
from uuid import UUID

import asyncpg
import msgspec
from msgspec import Meta

from src.core.data.rows import from_row
from src.core.security.outbound import URL_MAX_LENGTH, URL_PATTERN
from src.core.text import TEXT_PATTERN

__all__ = (
    "EVENT_TYPES",
    "Description",
    "EventType",
    "Events",
    "NewSecretView",
    "WebhookUrl",
    "WebhookView",
    "subscribed_events",
    "webhook_view",
)

# The events a webhook can subscribe to, declared once: the schema's enum, the stored order,
# and (tests/features/webhooks/test_subscriptions.py checks) the migration's CHECK constraint.
type EventType = Literal[
    "avatar.created",
    "avatar.updated",
    "avatar.deleted",
    "avatar.liked",
    "avatar.unliked",
    "avatar.hidden",
    "avatar.restored",
]
EVENT_TYPES: Final[tuple[str, ...]] = get_args(EventType.__value__)

# What create and update accept; the outbound guard then checks the URL's destination.
type Events = Annotated[
    list[EventType], Meta(min_length=1, max_length=7, examples=[["avatar.created", "avatar.liked"]])
]
type WebhookUrl = Annotated[
    str,
    Meta(
        min_length=8,
        max_length=URL_MAX_LENGTH,
        pattern=URL_PATTERN,
        description="https:// (http:// only where allowed), no spaces; internal addresses are refused",
        examples=["https://example.com/hooks/avatars"],
    ),
]
type Description = Annotated[
    str,
    Meta(
        max_length=200,
        pattern=TEXT_PATTERN,
        description="At most 200 characters; no control characters but tabs and line breaks",
        examples=["Sync to our CRM"],
    ),
]


class WebhookView(msgspec.Struct, frozen=True):
    id: UUID
    url: Annotated[str, Meta(examples=["https://example.com/hooks/avatars"])]
    events: list[EventType]
    description: str | None
    enabled: bool
    disabled_reason: Annotated[str | None, Meta(description="Why it was disabled: by you, or after failing")]
    disabled_at: datetime | None
    failing_since: Annotated[datetime | None, Meta(description="The first failure since the last success")]
    created_at: datetime
    updated_at: datetime


class NewSecretView(WebhookView, frozen=True):
    """The subscription and its signing secret: shown this once, keep it."""

    secret: Annotated[
        str | None,
        Meta(
            description="whsec_ + base64: verify webhook-signature with it. Shown once: null on an idempotent "
            "replay of the create (rotate it if it was lost)"
        ),
    ]
    previous_secret_expires_at: Annotated[
        datetime | None, Meta(description="Until then the previous secret signs too (after a rotation)")
    ]


def subscribed_events(requested: Iterable[str]) -> list[str]:
    """What is stored: each event once, in the order of EVENT_TYPES, whatever order was sent."""
    wanted = set(requested)
    return [event for event in EVENT_TYPES if event in wanted]


def webhook_view(row: asyncpg.Record) -> WebhookView:
    return from_row(WebhookView, row)
