"""Connections killed by the server (a failover, an operator's pg_terminate_backend, a
pooler restart): a read is retried once on a fresh connection and succeeds; a write is
never repeated, it answers 503 with Retry-After or succeeds; nothing answers 500."""

from __future__ import annotations

import asyncpg
import httpx

from tests.support.accounts import new_account
from tests.support.avatars import create_avatar
from tests.support.logs import LogSink
from tests.support.problems import assert_problem


async def _terminate_our_backends(database_url: str) -> int:
    connection = await asyncpg.connect(database_url)
    try:
        killed: int = await connection.fetchval(
            """
            SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity
            WHERE datname = current_database() AND application_name = 'avatar-api' AND pid <> pg_backend_pid()
            """
        )
        return killed
    finally:
        await connection.close()


async def test_reads_survive_killed_pool_connections(
    client: httpx.AsyncClient, database_url: str, logs: LogSink
) -> None:
    owner = await new_account(client)
    avatar = (await create_avatar(client, owner)).json()
    path = f"/api/v1/avatars/{avatar['id']}"
    logs.clear()

    for _ in range(5):
        assert await _terminate_our_backends(database_url) >= 1
        for response in (
            await client.get(path),
            await client.get("/api/v1/avatars?limit=5"),
            await client.get("/api/v1/users/me", headers=owner.headers),
        ):
            assert response.status_code == 200, response.text

    if "dependency_unavailable" in logs.text:  # a read met a dead connection (else asyncpg saw it first)
        assert "read_retried" in logs.text
    assert '"status":500' not in logs.text
    assert '"severity":"ERROR"' not in logs.text, "background jobs ride it out too"


async def test_writes_on_a_killed_connection_are_not_repeated(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    answers = []
    for n in range(5):
        # A read first: the write that failed on the last kill may have left the pool with no
        # open connection (dead ones are expired together), and there must be one to kill.
        assert (await client.get("/api/v1/avatars?limit=1")).status_code == 200
        assert await _terminate_our_backends(database_url) >= 1
        answers.append(await create_avatar(client, owner, name=f"After a kill {n}"))

    for response in answers:
        if response.status_code != 201:
            assert_problem(response, 503, "database_unavailable")
            assert response.headers["retry-after"] == "2"
    created = (await client.get(f"/api/v1/avatars?owner_id={owner.id}&limit=100")).json()["data"]
    assert len(created) == sum(response.status_code == 201 for response in answers), "no write happened twice"
