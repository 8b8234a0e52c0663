"""API keys for tests, made through the public API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import Account, bearer

__all__ = ("API_KEYS", "new_api_key")

API_KEYS = "/api/v1/api-keys"


async def new_api_key(
    client: httpx.AsyncClient, owner: Account, *scopes: str, name: str = "script", **fields: Any
) -> tuple[dict[str, str], dict[str, Any]]:
    """(the headers that send the key, the created key's answer)."""
    body = {"name": name, "scopes": list(scopes), **fields}
    created = await client.post(API_KEYS, json=body, headers=owner.headers)
    assert created.status_code == 201, created.text
    answer: dict[str, Any] = created.json()
    return bearer(answer["key"]), answer
