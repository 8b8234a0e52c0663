"""The webhook backlog on /metrics: deliveries waiting, how long the one due the longest
has waited to be sent (deliveries of disabled endpoints, finished ones and retries not yet
due do not make it late), and the outbox lag: how long the oldest event has waited to be
dispatched."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from src.core.ids import new_id
from src.core.settings import Settings
from src.features.webhooks.measure_backlog.handler import measure_backlog
from tests.support.accounts import new_account
from tests.support.avatars import new_avatar
from tests.support.jobs import job_context
from tests.support.metrics import sample_value
from tests.support.webhooks import subscribe, webhook_settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Nothing is dispatched or delivered by the service: the test lays the backlog out itself.
    return webhook_settings(database_url, webhook_dispatcher_enabled=False)


async def test_the_backlog_counts_what_waits_and_ages_from_when_it_fell_due(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    owner = await new_account(client)
    enabled = await subscribe(client, owner, "http://127.0.0.1:9/enabled")
    disabled = await subscribe(client, owner, "http://127.0.0.1:9/disabled")
    events = [await new_avatar(client, owner) for _ in range(5)]
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("UPDATE webhook_endpoints SET enabled = false WHERE id = $1", disabled["id"])
        # The events were dispatched: their deliveries are laid out below.
        dispatched = "UPDATE outbox_events SET dispatched_at = now() RETURNING id"
        ids = sorted(row["id"] for row in await connection.fetch(dispatched))
        assert len(ids) == len(events)
        layout = [
            (ids[0], enabled["id"], "pending", "now() - interval '120 seconds'", None),  # due 2 minutes ago
            (ids[1], enabled["id"], "pending", "now() + interval '1 hour'", None),  # a retry, not yet due
            (ids[2], enabled["id"], "delivering", "now()", "now() - interval '30 seconds'"),  # its worker died
            (ids[3], enabled["id"], "succeeded", "now() - interval '1 hour'", None),
            (ids[4], disabled["id"], "pending", "now() - interval '1 day'", None),  # waits for its owner
        ]
        for event_id, endpoint_id, status, due, lease in layout:
            await connection.execute(
                "INSERT INTO webhook_deliveries (event_id, endpoint_id, status, next_attempt_at, locked_until) "
                f"VALUES ($1, $2, $3, {due}, {lease or 'NULL'})",
                event_id,
                endpoint_id,
                status,
            )
    finally:
        await connection.close()

    async with job_context(settings, database_url) as context:
        assert await measure_backlog(context) == 0
    scrape = (await client.get("/metrics")).text

    assert sample_value(scrape, "avatar_api_webhook_deliveries_pending") == 3
    assert 120 <= sample_value(scrape, "avatar_api_webhook_oldest_pending_age_seconds") < 180
    assert sample_value(scrape, "avatar_api_outbox_lag_seconds") == 0  # every event was dispatched


async def test_the_outbox_lag_is_the_age_of_the_oldest_event_not_dispatched(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    owner = await new_account(client)
    connection = await asyncpg.connect(database_url)
    try:
        insert = (
            "INSERT INTO outbox_events (id, type, owner_id, data, occurred_at, dispatched_at) "
            "VALUES ($1, 'avatar.created', $2, '{}', now() - make_interval(secs => $3), $4)"
        )
        dispatched_long_ago = datetime(2026, 1, 1, tzinfo=UTC)
        await connection.execute(insert, new_id(), owner.id, 3600.0, dispatched_long_ago)
        await connection.execute(insert, new_id(), owner.id, 90.0, None)
        await connection.execute(insert, new_id(), owner.id, 10.0, None)
    finally:
        await connection.close()

    async with job_context(settings, database_url) as context:
        await measure_backlog(context)
    scrape = (await client.get("/metrics")).text

    assert 90 <= sample_value(scrape, "avatar_api_outbox_lag_seconds") < 150


async def test_no_backlog_no_age(client: httpx.AsyncClient, settings: Settings, database_url: str) -> None:
    async with job_context(settings, database_url) as context:
        await measure_backlog(context)
    scrape = (await client.get("/metrics")).text

    assert sample_value(scrape, "avatar_api_webhook_deliveries_pending") == 0
    assert sample_value(scrape, "avatar_api_webhook_oldest_pending_age_seconds") == 0
    assert sample_value(scrape, "avatar_api_outbox_lag_seconds") == 0
