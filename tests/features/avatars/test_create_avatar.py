from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from src.core.http.idempotency import expire_idempotency_keys
from src.core.ids import new_id
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, create_avatar, events_of
from tests.support.jobs import job_context
from tests.support.problems import assert_problem


async def test_creates_an_avatar(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client, display_name="Grace")

    response = await create_avatar(client, owner, name="  Grace Hopper  ", color="#3a7bd5")

    assert response.status_code == 201
    avatar = response.json()
    assert response.headers["location"] == f"/api/v1/avatars/{avatar['id']}"
    assert response.headers["etag"] == '"v1"'
    assert uuid.UUID(avatar["id"]).version == 7
    assert avatar["name"] == "Grace Hopper"
    assert avatar["color"] == "#3A7BD5"
    assert avatar["owner"] == {"id": owner.id, "display_name": "Grace"}
    assert (avatar["likes_count"], avatar["liked_by_me"]) == (0, False)
    assert avatar["created_at"].endswith("Z")
    assert (avatar["version"], avatar["etag"], avatar["hidden"]) == (1, response.headers["etag"], False)
    assert avatar.keys() == {
        *("id", "name", "color", "owner", "likes_count", "liked_by_me", "created_at", "updated_at"),
        *("version", "hidden", "etag"),
    }
    ((event_type, data),) = await events_of(database_url, avatar["id"])
    assert event_type == "avatar.created"
    assert data["avatar"]["name"] == "Grace Hopper"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"name": "", "color": "#000000"}, "#/name"),
        ({"name": "   ", "color": "#000000"}, "#/name"),
        ({"name": "x" * 51, "color": "#000000"}, "#/name"),
        ({"name": "line\nbreak", "color": "#000000"}, "#/name"),
        ({"name": "Ada\n", "color": "#000000"}, "#/name"),
        ({"name": "Ada\u0000", "color": "#000000"}, "#/name"),
        ({"name": "Ada", "color": "red"}, "#/color"),
        ({"name": "Ada", "color": "#12345"}, "#/color"),
        ({"name": "Ada", "color": "#GGGGGG"}, "#/color"),
        ({"name": "Ada", "color": "#000000\n"}, "#/color"),
        ({"name": "Ada"}, "#/color"),
        ({"name": "Ada", "color": "#000000", "owner_id": str(new_id())}, "#/owner_id"),
        ({"name": "Ada", "color": "#000000", "likes_count": 100}, "#/likes_count"),
    ],
)
async def test_invalid_input_names_the_field_and_creates_nothing(
    client: httpx.AsyncClient, database_url: str, body: dict[str, object], pointer: str
) -> None:
    owner = await new_account(client)

    response = await client.post(AVATARS, json=body, headers=owner.headers)

    problem = assert_problem(response, 400, "validation_failed")
    assert [error["pointer"] for error in problem["errors"]] == [pointer]
    assert await _avatar_count(database_url) == 0


async def test_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post(AVATARS, json={"name": "Ada", "color": "#000000"}), 401, "unauthorized")


async def test_a_retry_with_the_same_key_replays_the_first_response(
    client: httpx.AsyncClient, database_url: str
) -> None:
    owner = await new_account(client)
    key = str(new_id())

    first = await create_avatar(client, owner, name="Ada", **{"Idempotency-Key": key})
    # Same body with its keys in another order: still the same request.
    retry = await client.post(
        AVATARS,
        content=b'{"color": "#3A7BD5", "name": "Ada"}',
        headers={**owner.headers, "Idempotency-Key": key, "Content-Type": "application/json"},
    )

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["etag"] == first.headers["etag"]
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert await _avatar_count(database_url) == 1


async def test_the_same_key_with_another_body_is_a_422(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    key = str(new_id())
    await create_avatar(client, owner, name="Ada", **{"Idempotency-Key": key})

    response = await create_avatar(client, owner, name="Grace", **{"Idempotency-Key": key})

    assert_problem(response, 422, "idempotency_key_reused")
    assert await _avatar_count(database_url) == 1


async def test_keys_belong_to_their_user(client: httpx.AsyncClient, database_url: str) -> None:
    alice, bob = await new_account(client), await new_account(client)
    key = str(new_id())

    first = await create_avatar(client, alice, **{"Idempotency-Key": key})
    second = await create_avatar(client, bob, **{"Idempotency-Key": key})

    assert first.json()["id"] != second.json()["id"]
    assert "idempotent-replayed" not in second.headers
    assert await _avatar_count(database_url) == 2


async def test_concurrent_creates_with_one_key_create_one_avatar(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    key = str(new_id())

    responses = await asyncio.gather(*(create_avatar(client, owner, **{"Idempotency-Key": key}) for _ in range(20)))

    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}
    created = {response.json()["id"] for response in responses if response.status_code == 201}
    assert len(created) == 1
    assert await _avatar_count(database_url) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "idempotency_key_in_flight"


@pytest.mark.parametrize("key", [b"has space", b"x" * 256, b"tab\tkey", "ünïcode".encode()])
async def test_a_malformed_key_is_a_400(client: httpx.AsyncClient, key: bytes) -> None:
    owner = await new_account(client)

    headers = [(name.encode(), value.encode()) for name, value in owner.headers.items()]
    response = await client.post(
        AVATARS, json={"name": "Ada", "color": "#000000"}, headers=[*headers, (b"Idempotency-Key", key)]
    )

    problem = assert_problem(response, 400, "validation_failed")
    assert problem["errors"][0]["location"] == "header"


async def test_an_expired_key_can_be_used_again(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    key = str(new_id())
    await create_avatar(client, owner, **{"Idempotency-Key": key})
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("UPDATE idempotency_keys SET expires_at = now() - interval '1 second'")
    finally:
        await connection.close()

    again = await create_avatar(client, owner, name="Grace", **{"Idempotency-Key": key})

    assert again.status_code == 201
    assert "idempotent-replayed" not in again.headers
    assert await _avatar_count(database_url) == 2


async def _avatar_count(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM avatars")
        return count
    finally:
        await connection.close()


async def test_expired_keys_are_cleaned_up(client: httpx.AsyncClient, settings: Settings, database_url: str) -> None:
    owner = await new_account(client)
    for _ in range(3):
        await create_avatar(client, owner, **{"Idempotency-Key": str(new_id())})
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE ctid IN "
            "(SELECT ctid FROM idempotency_keys LIMIT 2)"
        )
        async with job_context(settings, database_url) as context:
            deleted = await expire_idempotency_keys(context)
        remaining = await connection.fetchval("SELECT count(*) FROM idempotency_keys")
    finally:
        await connection.close()

    assert (deleted, remaining) == (2, 1)
