"""The claim of each endpoint's oldest due deliveries stays an index probe per endpoint
when one endpoint holds almost every row (the case it exists for): the planner must not
trade the per-endpoint index for the one on next_attempt_at and filter the backlog."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from src.core.ids import new_id
from src.features.webhooks.deliver_webhooks.queries import CLAIM_EACH_ENDPOINT

BACKLOG = 30_000
OTHERS = 300


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan]
    for child in plan.get("Plans", []):
        found += _nodes(child)
    return found


async def test_each_endpoint_is_read_from_its_own_index_however_skewed_the_backlog(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        owner = new_id()
        await connection.execute(
            "INSERT INTO users (id, email, display_name, password_hash) VALUES ($1, $2, 'Claims', 'x')",
            owner,
            f"claims-{owner}@example.com",
        )
        endpoints = [new_id() for _ in range(OTHERS + 1)]
        await connection.copy_records_to_table(
            "webhook_endpoints",
            records=[
                (each, owner, f"https://example.com/{n}", ["avatar.created"], "whsec_x")
                for n, each in enumerate(endpoints)
            ],
            columns=["id", "owner_id", "url", "events", "secret"],
        )
        # One endpoint's long backlog, older than everything; one fresh delivery for every other.
        await connection.execute(
            """
            WITH events AS (
                INSERT INTO outbox_events (id, type, owner_id, data, occurred_at, dispatched_at)
                SELECT gen_random_uuid(), 'avatar.created', $1, '{}'::jsonb, now() - interval '1 hour', now()
                FROM generate_series(1, $3)
                RETURNING id, occurred_at
            )
            INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at)
            SELECT id, $2, occurred_at FROM events
            """,
            owner,
            endpoints[0],
            BACKLOG,
        )
        # Statistics from before the fresh rows, as autovacuum leaves them after a burst:
        # every pending row belongs to one endpoint.
        await connection.execute("ANALYZE webhook_deliveries")
        fresh = new_id()
        await connection.execute(
            "INSERT INTO outbox_events (id, type, owner_id, data, dispatched_at) "
            "VALUES ($1, 'avatar.created', $2, '{}', now())",
            fresh,
            owner,
        )
        await connection.execute(
            "INSERT INTO webhook_deliveries (event_id, endpoint_id) "
            "SELECT $1, id FROM webhook_endpoints WHERE owner_id = $2",
            fresh,
            owner,
        )
        transaction = connection.transaction()
        await transaction.start()
        try:
            explained = await connection.fetchval("EXPLAIN (ANALYZE, FORMAT JSON) " + CLAIM_EACH_ENDPOINT, 8, 4, 30.0)
            claimed = await connection.fetch(CLAIM_EACH_ENDPOINT, 8, 4, 30.0)
        finally:
            await transaction.rollback()  # nothing of these claims is kept
    finally:
        await connection.close()
    nodes = _nodes(json.loads(explained)[0]["Plan"])
    scans = {node.get("Index Name") for node in nodes if node.get("Relation Name") == "webhook_deliveries"}
    assert "webhook_deliveries_due" not in scans, scans
    filtered = sum(int(node.get("Rows Removed by Filter", 0)) * int(node.get("Actual Loops", 1)) for node in nodes)
    assert filtered < BACKLOG, f"{filtered} rows filtered: the backlog was read row by row"
    # Each endpoint's first, before a second of any: the slow one gets no more than the others.
    assert len(claimed) == 8
    assert sum(1 for row in claimed if row["endpoint_id"] == endpoints[0]) <= 1
