"""The webhooks feature's read model: the subscription as its owner sees it.

Queries select `WEBHOOK_COLUMNS` in order, so a row maps straight in (`webhook_view`).
The signing secret is never part of the view: it is shown once, when it is made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final, Literal
from uuid import UUID

import asyncpg
import msgspec
from msgspec import Meta

from src.core.outbound import URL_MAX_LENGTH, URL_PATTERN
from src.core.text import TEXT_PATTERN

__all__ = (
    "EVENT_TYPES",
    "Description",
    "EventType",
    "Events",
    "NewSecretView",
    "WebhookUrl",
    "WebhookView",
    "webhook_view",
)

type EventType = Literal["avatar.created", "avatar.updated", "avatar.deleted", "avatar.liked", "avatar.unliked"]
EVENT_TYPES: Final = ("avatar.created", "avatar.updated", "avatar.deleted", "avatar.liked", "avatar.unliked")

# What create and update accept; the outbound guard then checks the URL's destination.
type Events = Annotated[
    list[EventType], Meta(min_length=1, max_length=5, examples=[["avatar.created", "avatar.liked"]])
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

# Documentation of the column order every view query selects.
WEBHOOK_COLUMNS: Final = (
    "id, url, events, description, enabled, disabled_reason, disabled_at, failing_since, created_at, updated_at"
)


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

    secret: Annotated[str, Meta(description="whsec_ + base64: verify webhook-signature with it")]
    previous_secret_expires_at: Annotated[
        datetime | None, Meta(description="Until then the previous secret signs too (after a rotation)")
    ]


def webhook_view(row: asyncpg.Record) -> WebhookView:
    return WebhookView(*row[:10])
