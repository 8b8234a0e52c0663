"""Managing subscriptions: create, list, get, update, delete; owners only."""

from __future__ import annotations

import asyncio
import base64
import re
from typing import Any

import asyncpg
import httpx

from src.features.webhooks.read_model import EVENT_TYPES
from tests.support.accounts import new_account
from tests.support.problems import assert_problem
from tests.support.webhooks import ALL_EVENTS, WEBHOOKS, Receiver, subscribe

VIEW_FIELDS = {
    "id",
    "url",
    "events",
    "description",
    "enabled",
    "disabled_reason",
    "disabled_at",
    "failing_since",
    "created_at",
    "updated_at",
}


async def test_creating_a_webhook_returns_its_secret_once(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    response = await client.post(
        WEBHOOKS,
        json={
            "url": receiver.url(),
            "events": ["avatar.liked", "avatar.created", "avatar.liked"],
            "description": "CRM sync",
        },
        headers=owner.headers,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert set(created) == VIEW_FIELDS | {"secret", "previous_secret_expires_at"}
    assert created["url"] == receiver.url()
    assert created["events"] == ["avatar.created", "avatar.liked"], "deduplicated, in a stable order"
    assert created["description"] == "CRM sync"
    assert created["enabled"] is True
    assert created["previous_secret_expires_at"] is None
    assert response.headers["Location"] == f"{WEBHOOKS}/{created['id']}"
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"), validate=True)) >= 24

    shown = await client.get(response.headers["Location"], headers=owner.headers)
    assert shown.status_code == 200
    assert set(shown.json()) == VIEW_FIELDS, "the secret is never shown again"
    assert shown.json() == {k: v for k, v in created.items() if k in VIEW_FIELDS}


async def test_webhook_requests_are_validated(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    url = receiver.url()
    invalid: list[dict[str, Any]] = [
        {"events": ["avatar.created"]},
        {"url": url, "events": []},
        {"url": url, "events": ["avatar.exploded"]},
        {"url": url},
        {"url": "not a url at all", "events": ["avatar.created"]},
        {"url": url + "/with space", "events": ["avatar.created"]},
        {"url": url + "\u0000", "events": ["avatar.created"]},
        {"url": url + "\n", "events": ["avatar.created"]},
        {"url": url, "events": ["avatar.created"], "description": "nul \u0000 inside"},
        {"url": url, "events": ["avatar.created"], "description": "bell \u0007"},
        {"url": url, "events": ["avatar.created"], "description": "x" * 201},
        {"url": url, "events": ["avatar.created"], "secret": "mine"},
    ]
    for body in invalid:
        response = await client.post(WEBHOOKS, json=body, headers=owner.headers)
        assert_problem(response, 400, "validation_failed")
    assert (await client.get(WEBHOOKS, headers=owner.headers)).json()["data"] == []


async def test_webhooks_need_a_token(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url())
    for method, path in [
        ("POST", WEBHOOKS),
        ("GET", WEBHOOKS),
        ("GET", f"{WEBHOOKS}/{webhook['id']}"),
        ("PATCH", f"{WEBHOOKS}/{webhook['id']}"),
        ("DELETE", f"{WEBHOOKS}/{webhook['id']}"),
        ("POST", f"{WEBHOOKS}/{webhook['id']}/rotate-secret"),
        ("POST", f"{WEBHOOKS}/{webhook['id']}/ping"),
        ("GET", f"{WEBHOOKS}/{webhook['id']}/deliveries"),
    ]:
        response = await client.request(method, path, json={} if method in {"POST", "PATCH"} else None)
        assert_problem(response, 401, "unauthorized")


async def test_someone_elses_webhook_is_not_found_like_a_missing_one(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client)
    stranger = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url())
    missing = "01900000-0000-7000-8000-000000000000"
    for webhook_id in (webhook["id"], missing):
        path = f"{WEBHOOKS}/{webhook_id}"
        answers = [
            await client.get(path, headers=stranger.headers),
            await client.patch(path, json={"enabled": False}, headers=stranger.headers),
            await client.post(f"{path}/rotate-secret", headers=stranger.headers),
            await client.post(f"{path}/ping", headers=stranger.headers),
            await client.get(f"{path}/deliveries", headers=stranger.headers),
            await client.delete(path, headers=stranger.headers),
        ]
        for response in answers:
            body = assert_problem(response, 404, "not_found")
            assert body["detail"] == "No webhook with this id."
    assert (await client.get(WEBHOOKS, headers=stranger.headers)).json()["data"] == []
    still = await client.get(f"{WEBHOOKS}/{webhook['id']}", headers=owner.headers)
    assert still.status_code == 200
    assert still.json()["enabled"] is True
    assert not receiver.requests, "nobody pinged it"


async def test_listing_is_newest_first_and_paginated(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    other = await new_account(client)
    made = [await subscribe(client, owner, receiver.url(f"/{n}")) for n in range(5)]
    await subscribe(client, other, receiver.url("/other"))

    first = await client.get(f"{WEBHOOKS}?limit=3", headers=owner.headers)
    assert first.status_code == 200
    page = first.json()
    assert [w["id"] for w in page["data"]] == [w["id"] for w in reversed(made)][:3]
    assert all(set(w) == VIEW_FIELDS for w in page["data"])
    second = await client.get(page["links"]["next"], headers=owner.headers)
    assert [w["id"] for w in second.json()["data"]] == [made[1]["id"], made[0]["id"]]
    assert second.json()["meta"]["next_cursor"] is None
    # A cursor of this list means nothing for another user's list.
    replayed = await client.get(f"{WEBHOOKS}?cursor={page['meta']['next_cursor']}", headers=other.headers)
    assert_problem(replayed, 400, "invalid_cursor")


async def test_update_changes_only_what_is_sent(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url("/a"), events=["avatar.created"], description="first")
    path = f"{WEBHOOKS}/{webhook['id']}"

    events = await client.patch(path, json={"events": ["avatar.deleted", "avatar.liked"]}, headers=owner.headers)
    assert events.status_code == 200, events.text
    assert events.json()["events"] == ["avatar.deleted", "avatar.liked"]
    assert events.json()["description"] == "first"
    assert events.json()["url"] == receiver.url("/a")
    assert events.json()["updated_at"] > webhook["updated_at"]

    moved = await client.patch(path, json={"url": receiver.url("/b"), "description": None}, headers=owner.headers)
    assert moved.json()["url"] == receiver.url("/b")
    assert moved.json()["description"] is None

    disabled = await client.patch(path, json={"enabled": False}, headers=owner.headers)
    assert disabled.json()["enabled"] is False
    assert disabled.json()["disabled_reason"] == "disabled by its owner"
    assert disabled.json()["disabled_at"] is not None
    enabled = await client.patch(path, json={"enabled": True}, headers=owner.headers)
    assert enabled.json()["enabled"] is True
    assert enabled.json()["disabled_reason"] is None
    assert enabled.json()["disabled_at"] is None

    bodies: list[dict[str, object]] = [
        {"events": []},
        {"events": ["nope"]},
        {"url": "ftp://example.com/x"},
        {"url": receiver.url("/b c")},
        {"enabled": "yes"},
        {"description": "\u0094\u0000 what the fuzzer sent"},
    ]
    for body in bodies:
        assert_problem(await client.patch(path, json=body, headers=owner.headers), 400, "validation_failed")
    unchanged = (await client.get(path, headers=owner.headers)).json()
    assert (unchanged["url"], unchanged["description"]) == (receiver.url("/b"), None)

    multiline = await client.patch(path, json={"description": "two\tcolumns\r\nand lines\n"}, headers=owner.headers)
    assert multiline.status_code == 200, multiline.text
    assert multiline.json()["description"] == "two\tcolumns\r\nand lines\n"


async def test_delete_removes_the_webhook(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url())
    path = f"{WEBHOOKS}/{webhook['id']}"

    deleted = await client.delete(path, headers=owner.headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert_problem(await client.get(path, headers=owner.headers), 404, "not_found")
    assert_problem(await client.delete(path, headers=owner.headers), 404, "not_found")


async def test_create_honours_idempotency_keys_and_shows_the_secret_once(
    client: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    owner = await new_account(client)
    body = {"url": receiver.url(), "events": ALL_EVENTS}
    headers = {**owner.headers, "Idempotency-Key": "create-hook-1"}

    first = await client.post(WEBHOOKS, json=body, headers=headers)
    again = await client.post(WEBHOOKS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    secret = first.json()["secret"]
    assert secret.startswith("whsec_")
    assert again.json() == {**first.json(), "secret": None}, "the retry gets the same webhook, not its secret"
    assert again.headers["Idempotent-Replayed"] == "true"
    connection = await asyncpg.connect(database_url)
    try:
        stored = await connection.fetch("SELECT response_body FROM idempotency_keys")
    finally:
        await connection.close()
    assert stored
    assert all(secret.encode() not in bytes(row["response_body"]) for row in stored)
    assert len((await client.get(WEBHOOKS, headers=owner.headers)).json()["data"]) == 1

    reused = await client.post(WEBHOOKS, json={**body, "events": ["avatar.created"]}, headers=headers)
    assert_problem(reused, 422, "idempotency_key_reused")


async def test_an_owner_has_at_most_20_webhooks_even_when_racing(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    for n in range(18):
        await subscribe(client, owner, receiver.url(f"/{n}"))
    racing = await asyncio.gather(
        *(
            client.post(WEBHOOKS, json={"url": receiver.url(f"/r{n}"), "events": ALL_EVENTS}, headers=owner.headers)
            for n in range(4)
        )
    )
    assert sorted(r.status_code for r in racing) == [201, 201, 409, 409]
    for response in racing:
        if response.status_code == 409:
            assert_problem(response, 409, "webhook_limit")
    listed = await client.get(f"{WEBHOOKS}?limit=100", headers=owner.headers)
    assert len(listed.json()["data"]) == 20


async def test_the_database_accepts_exactly_the_declared_event_types(database_url: str) -> None:
    """EVENT_TYPES is declared once (read_model.py); the migration's CHECK must say the same."""
    connection = await asyncpg.connect(database_url)
    try:
        definitions = await connection.fetch(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'webhook_endpoints'::regclass AND contype = 'c'"
        )
    finally:
        await connection.close()
    checks = [row[0] for row in definitions if "events <@" in row[0]]
    assert len(checks) == 1, definitions
    allowed = set(re.findall(r"'([a-z.]+)'::text", checks[0]))
    assert allowed == set(EVENT_TYPES)
    assert list(EVENT_TYPES) == ALL_EVENTS
