"""Readiness follows the database: 503 within about a second of it going away, 200 again
by itself when it returns, without restarting the service. Never a 500, never a hang."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from src.app import create_app
from src.core.data.migrations import apply_migrations, discover_migrations
from tests.conftest import base_settings
from tests.support.databases import EmbeddedServer
from tests.support.http import running_app
from tests.support.metrics import sample_value
from tests.support.probe_routes import probe_router


async def test_ready_when_the_database_answers_and_migrations_are_applied(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}
    assert response.headers["cache-control"] == "no-store"


@pytest.fixture(scope="module")
def stoppable_postgres() -> Iterator[EmbeddedServer]:
    """A private server: stopping it must not disturb the other tests' database."""
    with tempfile.TemporaryDirectory(prefix="avatar-api-outage-") as directory:
        server = EmbeddedServer(Path(directory) / "pgdata")
        try:
            yield server
        finally:
            server.cleanup()


async def poll_until(client: httpx.AsyncClient, path: str, status: int, within: float) -> float:
    """Seconds until `path` answered `status`; every answer on the way must be 200 or 503."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        response = await client.get(path)
        assert response.status_code in {200, 503}, response.text
        if response.status_code == status:
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} did not answer {status} within {within} s")


@pytest.mark.parametrize("mode", ["fast", "immediate"])
async def test_database_outage_and_recovery(stoppable_postgres: EmbeddedServer, mode: str) -> None:
    settings = base_settings(database_url=stoppable_postgres.dsn, db_acquire_timeout=0.5, readiness_timeout=0.5)
    async with running_app(create_app(settings, features=[probe_router])) as client:
        assert (await client.get("/health/ready")).status_code == 200

        await asyncio.to_thread(stoppable_postgres.stop, mode)
        try:
            await poll_until(client, "/health/ready", 503, within=1.5)
            down = await client.get("/health/ready")
            assert down.json()["checks"]["database"] in {"unavailable", "timeout"}
            assert down.headers["retry-after"] == "2"
            api = await client.get("/api/v1/probe/select")
            assert api.status_code == 503
            assert api.headers["retry-after"] == "2"
            assert api.json()["code"] == "database_unavailable"
            assert (await client.get("/health/live")).status_code == 200
        finally:
            await asyncio.to_thread(stoppable_postgres.start)

        await poll_until(client, "/health/ready", 200, within=5)
        # Stale pooled connections were replaced: every request succeeds again.
        results = await asyncio.gather(*(client.get("/api/v1/probe/select") for _ in range(10)))
        assert [response.status_code for response in results] == [200] * 10


async def test_startup_waits_for_a_database_that_comes_up_late(stoppable_postgres: EmbeddedServer) -> None:
    settings = base_settings(database_url=stoppable_postgres.dsn, db_startup_timeout=20)
    await asyncio.to_thread(stoppable_postgres.stop, "fast")

    async def start_in_a_second() -> None:
        await asyncio.sleep(1)
        await asyncio.to_thread(stoppable_postgres.start)

    starter = asyncio.create_task(start_in_a_second())
    try:
        async with running_app(create_app(settings)) as client:
            assert (await client.get("/health/ready")).status_code == 200
    finally:
        await starter


async def test_readiness_and_each_change_of_it_are_counted(empty_database_url: str) -> None:
    """`avatar_api_ready` says what the probe answered last; every change (ready to unready
    or back) is counted, so flapping shows even when it happens between two scrapes."""

    settings = base_settings(database_url=empty_database_url, migrate_on_startup=False)
    async with running_app(create_app(settings)) as client:
        assert (await client.get("/health/ready")).status_code == 503  # this release's migrations are pending
        unready = (await client.get("/metrics")).text
        await apply_migrations_to(empty_database_url)
        assert (await client.get("/health/ready")).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200
        ready = (await client.get("/metrics")).text

    assert sample_value(unready, "avatar_api_ready") == 0
    assert sample_value(ready, "avatar_api_ready") == 1
    changes = "avatar_api_readiness_changes_total"
    assert sample_value(ready, changes) == sample_value(unready, changes) + 1  # one change, however often it was asked


async def apply_migrations_to(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await apply_migrations(connection, discover_migrations(base_settings().migrations_dir), lock_timeout=30)
    finally:
        await connection.close()
