from __future__ import annotations

import httpx
import pytest


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/users/me", "DELETE, GET, OPTIONS, PATCH"),
        ("/api/v1/auth/sessions", "GET, OPTIONS"),
        ("/health/live", "GET, OPTIONS"),
    ],
)
async def test_options_lists_every_method_of_the_path(client: httpx.AsyncClient, path: str, methods: str) -> None:
    response = await client.options(path)

    assert response.status_code == 204
    assert response.headers["allow"] == methods


async def test_405_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/users/me")

    assert response.status_code == 405
    assert set(response.headers["allow"].split(", ")) == {"DELETE", "GET", "OPTIONS", "PATCH"}
