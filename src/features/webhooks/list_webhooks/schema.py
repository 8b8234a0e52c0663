from __future__ import annotations

from src.core.data.pagination import Page
from src.features.webhooks.read_model import WebhookView

__all__ = ("WebhooksPage",)


class WebhooksPage(Page[WebhookView], frozen=True):
    """A page of your webhooks, newest first (`data` restated: OpenAPI does not resolve a generic base)."""

    data: list[WebhookView]
