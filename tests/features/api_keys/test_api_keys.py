"""API keys through HTTP: made once, hashed, scoped per route, never for managing keys,
sessions, passwords or the account, refused at once when revoked, expired or suspended."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import httpx
import pytest

from src.core.clock import utc_now
from src.core.security.api_keys import hash_api_key
from tests.support.accounts import new_account
from tests.support.api_keys import API_KEYS, new_api_key
from tests.support.avatars import AVATARS, new_avatar
from tests.support.problems import assert_problem
from tests.support.staff import ADMIN, new_staff, suspend


async def test_a_key_is_shown_once_stored_hashed_and_listed_without_the_secret(
    client: httpx.AsyncClient, database_url: str
) -> None:
    owner = await new_account(client)

    headers, created = await new_api_key(client, owner, "avatars:read", "account:read", name="  deploy  ")

    key = created["key"]
    assert key.startswith("ava_")
    assert len(key) == 53
    assert created["prefix"] == key[:16]
    assert (created["name"], created["scopes"], created["last_used_at"]) == (
        "deploy",
        ["account:read", "avatars:read"],
        None,
    )
    listed = (await client.get(API_KEYS, headers=owner.headers)).json()["data"]
    assert [item["id"] for item in listed] == [created["id"]]
    assert "key" not in listed[0]
    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetchrow("SELECT * FROM api_keys WHERE id = $1", created["id"])
    finally:
        await connection.close()
    assert stored is not None
    assert bytes(stored["secret_hash"]) == hash_api_key(key)
    assert key not in str(dict(stored))
    me = await client.get("/api/v1/users/me", headers=headers)
    assert (me.status_code, me.json()["id"]) == (200, owner.id)
    other = await new_account(client)
    assert (await client.get(API_KEYS, headers=other.headers)).json()["data"] == []


async def test_each_route_asks_for_its_scope(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    reader, _ = await new_api_key(client, owner, "avatars:read")
    writer, _ = await new_api_key(client, owner, "avatars:write")
    avatar = await new_avatar(client, owner)

    refused = await client.post(AVATARS, json={"name": "Ada", "color": "#000000"}, headers=reader)

    assert_problem(refused, 403, "insufficient_scope")
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="avatar-api", error="insufficient_scope", scope="avatars:write"'
    )
    assert (await client.post(AVATARS, json={"name": "Ada", "color": "#000000"}, headers=writer)).status_code == 201
    assert (await client.get(f"{AVATARS}/{avatar['id']}", headers=reader)).status_code == 200
    assert_problem(await client.get(f"{AVATARS}/{avatar['id']}", headers=writer), 403, "insufficient_scope")
    assert_problem(await client.get("/api/v1/users/me", headers=reader), 403, "insufficient_scope")
    assert_problem(await client.get("/api/v1/webhooks", headers=writer), 403, "insufficient_scope")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", API_KEYS, {"name": "more", "scopes": ["avatars:read"]}),
        ("GET", API_KEYS, None),
        ("GET", "/api/v1/auth/sessions", None),
        ("POST", "/api/v1/users/me/password", {"current_password": "x", "new_password": "y" * 20}),
        ("DELETE", "/api/v1/users/me", {"current_password": "x"}),
    ],
)
async def test_a_key_never_manages_keys_sessions_passwords_or_the_account(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, object] | None
) -> None:
    owner = await new_account(client)
    every_scope = ("avatars:read", "avatars:write", "webhooks:manage", "account:read", "account:write")
    headers, _ = await new_api_key(client, owner, *every_scope)

    response = await client.request(method, path, json=body, headers=headers)

    assert_problem(response, 403, "api_key_not_allowed")
    assert (await client.get("/api/v1/users/me", headers=owner.headers)).status_code == 200


async def test_a_revoked_mistyped_expired_or_suspended_key_is_refused(
    client: httpx.AsyncClient, database_url: str
) -> None:
    owner = await new_account(client)
    headers, created = await new_api_key(client, owner, "account:read", "avatars:write")
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
    mistyped = {"Authorization": headers["Authorization"][:-1] + ("A" if headers["Authorization"][-1] != "A" else "B")}
    assert_problem(await client.get("/api/v1/users/me", headers=mistyped), 401, "invalid_token")
    made_up = {"Authorization": "Bearer ava_" + "0" * 49}
    assert_problem(await client.get("/api/v1/users/me", headers=made_up), 401, "invalid_token")
    # A header is read as latin-1: a byte past ASCII in the checksum is refused, on every route.
    latin = {b"Authorization": headers["Authorization"][:-1].encode() + b"\xe9"}
    assert_problem(await client.get("/api/v1/users/me", headers=latin), 401, "invalid_token")
    assert (await client.get(f"{AVATARS}/{created['id']}/image.svg", headers=latin)).status_code == 404

    assert (await client.delete(f"{API_KEYS}/{created['id']}", headers=owner.headers)).status_code == 204

    assert_problem(await client.get("/api/v1/users/me", headers=headers), 401, "invalid_token")
    assert (await client.delete(f"{API_KEYS}/{created['id']}", headers=owner.headers)).status_code == 204
    assert (await client.get(API_KEYS, headers=owner.headers)).json()["data"] == []
    assert_problem(
        await client.delete(f"{API_KEYS}/{created['id']}", headers=(await new_account(client)).headers),
        404,
        "not_found",
    )

    soon = (utc_now() + timedelta(seconds=1.5)).isoformat()
    expiring, _ = await new_api_key(client, owner, "account:read", expires_at=soon)
    assert (await client.get("/api/v1/users/me", headers=expiring)).status_code == 200
    await asyncio.sleep(1.6)
    problem = assert_problem(await client.get("/api/v1/users/me", headers=expiring), 401, "invalid_token")
    assert "expired" in problem["detail"]

    suspended_keys, _ = await new_api_key(client, owner, "account:read", "avatars:write")
    assert (await client.get("/api/v1/users/me", headers=suspended_keys)).status_code == 200
    assert (await suspend(client, await new_staff(client, database_url, "admin"), owner)).status_code == 200
    body = {"name": "Ada", "color": "#000000"}
    assert_problem(await client.post(AVATARS, json=body, headers=suspended_keys), 401, "invalid_token")


async def test_key_creation_refusals(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    for body in (
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["everything"]},
        {"name": "x", "scopes": ["avatars:read"], "expires_at": (utc_now() - timedelta(minutes=1)).isoformat()},
        {"name": "x", "scopes": ["avatars:read"], "expires_at": (utc_now() + timedelta(days=400)).isoformat()},
        {"name": "", "scopes": ["avatars:read"]},
    ):
        assert_problem(await client.post(API_KEYS, json=body, headers=owner.headers), 400, "validation_failed")
    staff_scope = await client.post(API_KEYS, json={"name": "x", "scopes": ["admin"]}, headers=owner.headers)
    assert_problem(staff_scope, 403, "insufficient_role")
    for number in range(20):
        await new_api_key(client, owner, "avatars:read", name=f"key {number}")
    assert_problem(
        await client.post(API_KEYS, json={"name": "21st", "scopes": ["avatars:read"]}, headers=owner.headers),
        409,
        "api_key_limit",
    )


async def test_an_admins_key_acts_as_staff_only_while_its_owner_is_an_admin(
    client: httpx.AsyncClient, database_url: str
) -> None:
    admin = await new_staff(client, database_url, "admin")
    other_admin = await new_staff(client, database_url, "admin")
    staff_key, created_key = await new_api_key(client, admin, "admin")
    staff_key_id = created_key["id"]
    plain_key, _ = await new_api_key(client, admin, "account:read")

    hidden = await client.post(
        f"{ADMIN}/avatars/{(await new_avatar(client, other_admin))['id']}/hide", json={"reason": "k"}, headers=staff_key
    )
    assert hidden.status_code == 200, hidden.text
    log = (await client.get(f"{ADMIN}/audit-log", headers=staff_key)).json()["data"]
    assert log[0]["details"]["credential"] == f"api_key:{staff_key_id}"
    assert_problem(await client.get(f"{ADMIN}/audit-log", headers=plain_key), 403, "insufficient_scope")
    demoted = await client.put(
        f"{ADMIN}/accounts/{admin.id}/role", json={"role": "user", "reason": "rotation"}, headers=other_admin.headers
    )
    assert demoted.status_code == 200

    assert_problem(await client.get(f"{ADMIN}/audit-log", headers=staff_key), 403, "insufficient_role")


async def test_last_used_is_kept_to_the_minute_without_a_write_per_request(
    client: httpx.AsyncClient, database_url: str
) -> None:
    owner = await new_account(client)
    headers, created = await new_api_key(client, owner, "account:read")
    for _ in range(5):
        assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
    listed = (await client.get(API_KEYS, headers=owner.headers)).json()["data"][0]
    assert listed["last_used_at"] is not None
    connection = await asyncpg.connect(database_url)
    try:
        half_a_minute_ago = utc_now() - timedelta(seconds=30)
        await connection.execute(
            "UPDATE api_keys SET last_used_at = $2 WHERE id = $1", created["id"], half_a_minute_ago
        )
        for _ in range(5):
            assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
        kept = await connection.fetchval("SELECT last_used_at FROM api_keys WHERE id = $1", created["id"])
    finally:
        await connection.close()
    assert kept == half_a_minute_ago  # not written again within the minute
