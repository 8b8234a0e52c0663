"""What may be cached, and HEAD: answers with credentials or personal data are never
stored; public reads say how they may be; every GET route answers HEAD."""

from __future__ import annotations

import httpx
import pytest

from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.logs import LogSink

NOT_STORED = {"cache-control": "no-store", "pragma": "no-cache"}


def assert_not_stored(response: httpx.Response) -> None:
    assert {name: response.headers.get(name) for name in NOT_STORED} == NOT_STORED, response.request.url


async def test_token_answers_are_never_stored(client: httpx.AsyncClient) -> None:
    """RFC 6749 section 5.1: Cache-Control: no-store and Pragma: no-cache on token responses."""
    account = await new_account(client)
    login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": login.json()["refresh_token"]})

    for response in (login, refreshed):
        assert response.status_code == 200
        assert_not_stored(response)


async def test_answers_with_personal_data_are_never_stored(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    for path in ("/api/v1/users/me", "/api/v1/auth/sessions", "/api/v1/webhooks"):
        response = await client.get(path, headers=owner.headers)
        assert response.status_code == 200, response.text
        assert_not_stored(response)


async def test_public_reads_keep_their_caching_and_vary_on_the_token(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    image = await client.get(f"{AVATARS}/{avatar['id']}/image.svg")
    keys = await client.get("/api/v1/auth/.well-known/jwks.json")
    personalised = [await client.get(f"{AVATARS}/{avatar['id']}"), await client.get(AVATARS)]

    assert image.headers["cache-control"] == "public, max-age=60"
    assert keys.headers["cache-control"] == "max-age=300, public"
    for response in (image, keys):
        assert "pragma" not in response.headers
    for response in personalised:  # liked_by_me depends on who asks
        assert response.headers["vary"] == "Authorization"
        assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/health/live", "/health/ready", "/health/startup", "/metrics", "/docs"])
async def test_head_answers_like_get_without_a_body(client: httpx.AsyncClient, path: str) -> None:
    get = await client.get(path)
    head = await client.head(path)

    assert head.status_code == get.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if path != "/metrics":  # a scrape grows with the requests just made
        assert head.headers.get("content-length") == get.headers.get("content-length")


async def test_head_on_api_reads_keeps_status_and_headers(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    for path in (f"{AVATARS}/{avatar['id']}", f"{AVATARS}/{avatar['id']}/image.svg", AVATARS, "/schema/openapi.json"):
        get, head = await client.get(path), await client.head(path)
        assert head.status_code == get.status_code == 200
        assert head.content == b""
        for name in ("content-type", "etag", "cache-control", "ratelimit-policy"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
    missing = await client.head(f"{AVATARS}/01a23580-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.content == b""
    assert missing.headers["content-type"] == "application/problem+json"
    assert (await client.head("/api/v1/users/me")).status_code == 401


async def test_head_is_counted_and_logged_as_head(client: httpx.AsyncClient, logs: LogSink) -> None:
    await client.head("/health/live")

    lines = [line for line in logs.events("request") if line["route"] == "/health/live"]
    assert [line["method"] for line in lines] == ["HEAD"]
    scrape = (await client.get("/metrics")).text
    assert 'avatar_api_requests_total{method="HEAD",path="/health/live",status_code="200"}' in scrape


async def test_head_on_a_route_without_get_is_405(client: httpx.AsyncClient, settings: Settings) -> None:
    del settings
    response = await client.head("/api/v1/auth/login")

    assert response.status_code == 405
    assert response.content == b""
