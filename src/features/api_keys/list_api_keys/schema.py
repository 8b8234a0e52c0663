from __future__ import annotations

from src.core.data.pagination import Page
from src.features.api_keys.read_model import ApiKeyView

__all__ = ("ApiKeysPage",)


class ApiKeysPage(Page[ApiKeyView], frozen=True):
    """A page of API keys, newest first (`data` restated: OpenAPI does not resolve a generic base)."""

    data: list[ApiKeyView]
