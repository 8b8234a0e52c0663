"""The clean-up job removes expired refresh tokens and long-ended sessions, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from src.core.runtime.jobs import JobContext
from src.core.settings import Settings
from src.features.auth.expire_sessions.handler import expire_sessions
from tests.support.accounts import log_in, new_account
from tests.support.jobs import job_context


@pytest.fixture
async def context(settings: Settings, database_url: str) -> AsyncIterator[JobContext]:
    async with job_context(settings, database_url) as context:
        yield context


async def test_removes_what_expired_and_keeps_what_is_live(
    client: httpx.AsyncClient, context: JobContext, database_url: str
) -> None:
    account = await new_account(client)
    for _ in range(3):
        await log_in(client, account.email)
    connection = await asyncpg.connect(database_url)
    try:
        sessions = [row["id"] for row in await connection.fetch("SELECT id FROM sessions ORDER BY id")]
        live, ended_long_ago, expired_long_ago, ended_recently = sessions
        await connection.execute(
            "UPDATE sessions SET revoked_at = now() - interval '31 days', revoked_reason = 'logout' WHERE id = $1",
            ended_long_ago,
        )
        await connection.execute(
            "UPDATE sessions SET expires_at = now() - interval '8 days' WHERE id = $1", expired_long_ago
        )
        await connection.execute(
            "UPDATE sessions SET revoked_at = now() - interval '1 day', revoked_reason = 'logout' WHERE id = $1",
            ended_recently,
        )
        await connection.execute(
            "UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE session_id = $1", ended_recently
        )

        deleted = await expire_sessions(context)

        remaining = {row["id"] for row in await connection.fetch("SELECT id FROM sessions")}
        tokens_of_recent = await connection.fetchval(
            "SELECT count(*) FROM refresh_tokens WHERE session_id = $1", ended_recently
        )
        orphans = await connection.fetchval(
            "SELECT count(*) FROM refresh_tokens WHERE session_id = ANY($1::uuid[])", [ended_long_ago, expired_long_ago]
        )
    finally:
        await connection.close()

    assert remaining == {live, ended_recently}
    assert tokens_of_recent == 0
    assert orphans == 0  # deleted with their sessions
    assert deleted == 3  # one expired refresh token and two sessions
    assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 200
