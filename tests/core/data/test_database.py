"""The pool's failure modes become 503s; the transaction dependency is all-or-nothing."""

from __future__ import annotations

import asyncio
import time
from typing import Any, cast

import asyncpg
import httpx

from src.app import FEATURES, create_app
from src.core.data.database import Database, redact_dsn
from src.core.ids import new_id
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.http import BASE_URL, CLIENT_ADDRESS, running_app
from tests.support.logs import LogSink
from tests.support.metrics import sample_value
from tests.support.probe_routes import PROBE_TABLE, probe_router
from tests.support.problems import assert_problem


async def test_an_exhausted_pool_answers_503_with_retry_after_instead_of_hanging(settings: Settings) -> None:
    tight = settings.with_changes(db_pool_min_size=2, db_pool_max_size=2, db_acquire_timeout=0.3)
    async with running_app(create_app(tight, features=[probe_router], jobs=())) as client:
        holders = [asyncio.create_task(client.get("/api/v1/probe/hold", params={"seconds": 1.5})) for _ in range(2)]
        await asyncio.sleep(0.3)  # let the two requests take both connections

        started = time.monotonic()
        blocked = await asyncio.wait_for(client.get("/api/v1/probe/select"), timeout=10)
        waited = time.monotonic() - started
        held = await asyncio.gather(*holders)

    assert [response.status_code for response in held] == [200, 200]
    assert blocked.status_code == 503
    assert blocked.headers["retry-after"] == "2"
    assert blocked.json()["code"] == "database_unavailable"
    assert 0.3 <= waited < 1.0  # the acquire timeout, not the holders' 1.5 s


async def test_a_standing_line_is_refused_as_overloaded_long_before_the_acquire_timeout(settings: Settings) -> None:
    """More work arrives than the pool serves: the line stands above its target, and those
    that waited beyond it get 503 `overloaded` soon after, not after the acquire timeout."""
    tight = settings.with_changes(
        db_pool_min_size=1, db_pool_max_size=1, db_acquire_timeout=5.0, db_queue_target=0.1, db_queue_interval=0.2
    )
    async with running_app(create_app(tight, features=[probe_router], jobs=())) as client:
        scrape = (await client.get("/metrics")).text
        refused_before = sample_value(scrape, "avatar_api_db_pool_refused_total", default=0.0, when="after_waiting")
        holders = []
        for _ in range(2):  # the second waits for the first: served late, the line is above its target from then
            holders.append(asyncio.create_task(client.get("/api/v1/probe/hold", params={"seconds": 0.4})))
            await asyncio.sleep(0.05)
        started = time.monotonic()
        late = await asyncio.wait_for(asyncio.gather(*(client.get("/api/v1/probe/select") for _ in range(3))), 10)
        waited = time.monotonic() - started
        held = await asyncio.gather(*holders)
        scrape = (await client.get("/metrics")).text
        refused_after = sample_value(scrape, "avatar_api_db_pool_refused_total", when="after_waiting")

    assert [response.status_code for response in held] == [200, 200]
    for response in late:  # they waited the second holder's 0.4 s, beyond the target, after an interval above it
        assert_problem(response, 503, code="overloaded")
        assert response.headers["retry-after"] == "2"
    assert waited < 2.5  # when the second holder gave back its connection, not the 5 s acquire timeout
    assert refused_after - refused_before == 3


async def test_a_client_whose_line_stands_full_is_refused_on_arrival_but_its_probes_are_not(settings: Settings) -> None:
    """Past capacity, a newcomer that would only wait to be refused is refused at the edge,
    before any work is spent on it; the probes are never refused so."""
    tight = settings.with_changes(
        db_pool_min_size=1, db_pool_max_size=1, db_acquire_timeout=5.0, db_queue_target=0.1, db_queue_interval=0.2
    )
    answers: list[httpx.Response] = []
    probes: list[httpx.Response] = []
    async with running_app(create_app(tight, features=[probe_router], jobs=())) as client:
        deadline = time.monotonic() + 1.5

        async def keep_asking() -> None:  # a closed loop: 20 requests a second served, 30 clients asking
            while time.monotonic() < deadline:
                response = await client.get("/api/v1/probe/hold", params={"seconds": 0.05})
                answers.append(response)
                if response.status_code == 503:
                    await asyncio.sleep(0.02)

        async def probe() -> None:
            while time.monotonic() < deadline:
                probes.append(await client.get("/health/live"))
                await asyncio.sleep(0.05)

        await asyncio.gather(*(keep_asking() for _ in range(30)), probe())
        scrape = (await client.get("/metrics")).text

    statuses = {response.status_code for response in answers}
    assert statuses == {200, 503}, statuses
    for response in answers:
        if response.status_code == 503:
            assert_problem(response, 503, code="overloaded")
            assert response.headers["retry-after"] == "2"
    refused_on_arrival = sample_value(scrape, "avatar_api_db_pool_refused_total", when="on_arrival")
    assert refused_on_arrival > 0
    # Counted under a route of their own: they were refused before routing.
    counted = sample_value(scrape, "avatar_api_requests_total", path="(overloaded)", status_code="503")
    assert counted == refused_on_arrival
    assert sample_value(scrape, "avatar_api_db_pool_refused_total", when="after_waiting") > 0
    assert probes
    assert {response.status_code for response in probes} == {200}


async def test_the_line_serves_verified_callers_and_counts_any_other_header_as_its_address(
    settings: Settings,
) -> None:
    """A made-up Authorization header buys no place of its own in the line (nor past the
    admission check): only a verified token names a caller; anything else is its address."""
    async with running_app(create_app(settings, features=[*FEATURES, probe_router], jobs=())) as client:
        account = await new_account(client)
        anonymous = await client.get("/api/v1/probe/client")
        forged = [
            await client.get("/api/v1/probe/client", headers={"Authorization": f"Bearer {new_id().hex}"})
            for _ in range(3)
        ]
        verified = await client.get("/api/v1/probe/client", headers=account.headers)
        again = await client.get("/api/v1/probe/client", headers=account.headers)

    assert anonymous.json() == {"key": f"address:{CLIENT_ADDRESS}"}
    assert [response.json() for response in forged] == [{"key": f"address:{CLIENT_ADDRESS}"}] * 3
    assert verified.json() == again.json() == {"key": f"user:{account.id}"}


async def test_one_address_flooding_the_line_does_not_queue_another_behind_its_flood(settings: Settings) -> None:
    """Free connections go round the clients in turn: another client waits for one turn, not the flood."""
    tight = settings.with_changes(
        db_pool_min_size=1, db_pool_max_size=1, db_acquire_timeout=10.0, db_queue_target=5.0, db_queue_interval=5.0
    )
    app = create_app(tight, features=[probe_router], jobs=())
    other = httpx.ASGITransport(app=cast("Any", app), client=("198.51.100.9", 40000))
    finished: list[str] = []

    async def call(client: httpx.AsyncClient, name: str, path: str) -> httpx.Response:
        response = await client.get(path, params={"seconds": 0.15} if path.endswith("hold") else None)
        finished.append(name)
        return response

    async with running_app(app) as flooder, httpx.AsyncClient(transport=other, base_url=BASE_URL) as neighbour:
        flood = []
        for number in range(6):
            flood.append(asyncio.create_task(call(flooder, f"flood-{number}", "/api/v1/probe/hold")))
            await asyncio.sleep(0.01)  # each in line before the next
        answers = await asyncio.gather(*flood, call(neighbour, "neighbour", "/api/v1/probe/select"))

    assert [response.status_code for response in answers] == [200] * 7
    # In arrival order it would finish last; in turn it goes right after the flood's next request.
    assert finished.index("neighbour") <= 2, finished


async def test_the_transaction_commits_when_the_handler_succeeds(settings: Settings, database_url: str) -> None:
    await _create_probe_table(database_url)
    async with running_app(create_app(settings, features=[probe_router])) as client:
        response = await client.post("/api/v1/probe/rows", json={"label": "kept"})

    assert response.status_code == 201
    assert await _labels(database_url) == ["kept"]


async def test_the_transaction_rolls_back_when_the_handler_fails(settings: Settings, database_url: str) -> None:
    await _create_probe_table(database_url)
    async with running_app(create_app(settings, features=[probe_router])) as client:
        response = await client.post("/api/v1/probe/rows", json={"label": "lost", "fail_after_insert": True})

    assert response.status_code == 409
    assert await _labels(database_url) == []


async def test_text_postgresql_cannot_store_is_a_400_and_writes_nothing(
    settings: Settings, database_url: str, logs: LogSink
) -> None:
    """The fallback for a field whose schema forgot to refuse NUL: not a 500."""
    await _create_probe_table(database_url)
    async with running_app(create_app(settings, features=[probe_router])) as client:
        response = await client.post("/api/v1/probe/rows", json={"label": "before\u0000after"})

    problem = assert_problem(response, 400, "validation_failed")
    assert "NUL" in problem["detail"]
    assert await _labels(database_url) == []
    (logged,) = logs.events("text_not_storable")
    assert logged["path"] == "/api/v1/probe/rows"
    assert logs.events("unhandled_exception") == []


async def test_concurrent_requests_share_the_pool_without_exceeding_it(settings: Settings) -> None:
    async with running_app(create_app(settings, features=[probe_router])) as client:
        responses: list[httpx.Response] = await asyncio.gather(
            *(client.get("/api/v1/probe/hold", params={"seconds": 0.05}) for _ in range(20))
        )

    assert [response.status_code for response in responses] == [200] * 20


def test_passwords_are_redacted_from_dsns() -> None:
    assert redact_dsn("postgresql://app:s3cret@db:5432/app") == "postgresql://app:***@db:5432/app"
    assert redact_dsn("postgresql://app@db/app") == "postgresql://app@db/app"


async def _create_probe_table(dsn: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(PROBE_TABLE)
    finally:
        await connection.close()


async def _labels(dsn: str) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        return [row["label"] for row in await connection.fetch("SELECT label FROM probe_rows ORDER BY id")]
    finally:
        await connection.close()


async def test_connections_are_handed_out_first_come_first_served(database_url: str) -> None:
    """Requests keep arriving while others wait: each gets its connection in the order it asked."""
    pool = await asyncpg.create_pool(database_url, min_size=2, max_size=2)
    database = Database(pool, acquire_timeout=10, release_timeout=5)
    asked: list[int] = []
    served: list[int] = []

    async def request(number: int) -> None:
        asked.append(number)
        async with database.acquire() as connection:
            served.append(number)
            await connection.fetchval("SELECT 1")

    try:
        arrivals = []
        for number in range(60):  # a new request at every turn of the loop, 2 connections to share
            arrivals.append(asyncio.create_task(request(number)))
            await asyncio.sleep(0)
        await asyncio.gather(*arrivals)
    finally:
        await pool.close()

    assert served == asked
