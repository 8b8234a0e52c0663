"""Three instances of the real service (Granian processes) on one PostgreSQL and one
Redis, requests spread across them: rate limits hold across instances, an idempotency
key sent to two instances at once creates one resource, and every webhook event is
delivered once."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager

import httpx
import pytest

from tests.support.server import Served, clean_environment, serve
from tests.support.webhooks import Receiver

PASSWORD = "correct horse battery"
INSTANCES = 3
PER_USER_LIMIT = 40


@asynccontextmanager
async def _instances(environment: dict[str, str]) -> AsyncIterator[list[Served]]:
    with ExitStack() as stack:
        served = [stack.enter_context(serve(environment)) for _ in range(INSTANCES)]
        for instance in served:
            await _wait_until_ready(instance)
        yield served


async def _wait_until_ready(instance: Served, timeout: float = 60) -> None:
    """Polled over HTTP: at LOG_LEVEL=warning there is no start-up line to wait for."""
    async with httpx.AsyncClient(base_url=instance.url, timeout=1) as client, asyncio.timeout(timeout):
        while True:
            assert instance.process.poll() is None, "the instance exited during start-up"
            try:
                if (await client.get("/health/ready")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as server:
        yield server


async def _user(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "display_name": "Scaled"}
    assert (await client.post("/api/v1/auth/sign-up", json=body)).status_code == 201
    login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def test_three_instances_share_limits_keys_and_deliveries(
    database_url: str, redis_url: str, redis_key_prefix: str, receiver: Receiver
) -> None:
    environment = clean_environment(
        DATABASE_URL=database_url,
        WORKERS="1",
        LOG_LEVEL="warning",
        REDIS_URL=redis_url,
        REDIS_KEY_PREFIX=redis_key_prefix,
        RATE_LIMIT_DEFAULT=f"{PER_USER_LIMIT}/minute",
        RATE_LIMIT_AUTH="100/minute",
        WEBHOOK_ALLOW_HTTP="true",
        OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32:*",
        # About instances sharing work, not the mailbox: the owner subscribes unverified.
        EMAIL_VERIFICATION_REQUIRED="false",
    )
    async with _instances(environment) as served:
        clients = [httpx.AsyncClient(base_url=instance.url, timeout=15) for instance in served]
        try:
            first = clients[0]
            # Webhooks: one subscriber; changes made through every instance.
            owner = await _user(first, "owner@example.com")
            hook = await first.post(
                "/api/v1/webhooks", json={"url": receiver.url(), "events": ["avatar.created"]}, headers=owner
            )
            assert hook.status_code == 201, hook.text
            receiver.secrets.append(hook.json()["secret"])
            created = await asyncio.gather(
                *(
                    client.post("/api/v1/avatars", json={"name": f"Spread {n}", "color": "#0A0B0C"}, headers=owner)
                    for n, client in zip(range(12), itertools.cycle(clients), strict=False)
                )
            )
            assert [response.status_code for response in created] == [201] * 12

            # One idempotency key, sent to two instances at the same moment.
            key = {"Idempotency-Key": "0a1b2c3d-scale-out-key"}
            same = await asyncio.gather(
                *(
                    client.post("/api/v1/avatars", json={"name": "Once", "color": "#010203"}, headers={**owner, **key})
                    for client in clients[:2]
                )
            )
            statuses = sorted(response.status_code for response in same)
            assert statuses in ([201, 201], [201, 409]), [response.text for response in same]
            succeeded = {response.json()["id"] for response in same if response.status_code == 201}
            assert len(succeeded) == 1, "a replay answers with the same avatar"

            await receiver.wait_until(lambda: len(receiver.delivered()) == 13, timeout=30)
            await asyncio.sleep(1.0)  # room for a double delivery to show up, were there one
            ids = [request.webhook_id for request in receiver.requests]
            assert len(ids) == len(set(ids)) == 13, "each event delivered once, by one instance"
            assert all(request.verified_by == (0,) for request in receiver.requests)

            # A per-user limit, counted in Redis: the instances together allow it once.
            limited = await _user(first, "limited@example.com")
            answers = await asyncio.gather(
                *(
                    client.get("/api/v1/users/me", headers=limited)
                    for _, client in zip(range(PER_USER_LIMIT + 20), itertools.cycle(clients), strict=False)
                )
            )
            codes = [response.status_code for response in answers]
            assert codes.count(200) == PER_USER_LIMIT, codes
            assert codes.count(429) == 20
        finally:
            for client in clients:
                await client.aclose()
