"""Your API keys, newest first: names, prefixes, scopes, when last used; never the keys."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.pagination import PageResult
from src.features.api_keys.list_api_keys.command import ListApiKeys
from src.features.api_keys.list_api_keys.queries import LIST_API_KEYS
from src.features.api_keys.read_model import ApiKeyView, api_key_view

__all__ = ("list_api_keys",)


async def list_api_keys(command: ListApiKeys, *, connection: Connection) -> PageResult[ApiKeyView]:
    page = command.page
    rows = await connection.fetch(LIST_API_KEYS, *page.position, page.fetch_size, command.user_id)
    return page.result(rows, item=api_key_view)
