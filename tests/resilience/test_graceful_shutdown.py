"""SIGTERM to the real process (Granian) while a slow request is in flight: the request
completes with 200, new connections are refused, the lifespan shutdown runs, the
service's database connections drop to zero and the process exits before the kill
timeout."""

from __future__ import annotations

import asyncio
import socket
import time
from urllib.parse import urlsplit

import asyncpg
import httpx

from tests.support.server import clean_environment, serve

PASSWORD = "correct horse battery"


async def _connections_of_the_service(connection: asyncpg.Connection) -> int:
    count: int = await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'avatar-api'"
    )
    return count


def _refuses_connections(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=0.5):
            return False
    except OSError:
        return True


async def test_sigterm_finishes_the_request_in_flight_then_exits_cleanly(database_url: str) -> None:
    environment = clean_environment(
        DATABASE_URL=database_url, WORKERS="1", LOG_LEVEL="info", SHUTDOWN_TIMEOUT="10", DB_POOL_MIN_SIZE="2"
    )
    with serve(environment) as served:
        served.wait_for_event("startup_complete")
        async with httpx.AsyncClient(base_url=served.url, timeout=15) as client:
            body = {"email": "shutdown@example.com", "password": PASSWORD, "display_name": "Shut Down"}
            assert (await client.post("/api/v1/auth/sign-up", json=body)).status_code == 201
            login = await client.post("/api/v1/auth/login", json={"email": body["email"], "password": PASSWORD})
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            created = await client.post("/api/v1/avatars", json={"name": "Slow", "color": "#123456"}, headers=auth)
            avatar_id, etag = created.json()["id"], created.headers["etag"]

            locker = await asyncpg.connect(database_url)
            try:
                # Hold the avatar's row: the update below waits for it, a request in flight.
                locking = locker.transaction()
                await locking.start()
                await locker.execute("SELECT 1 FROM avatars WHERE id = $1 FOR UPDATE", avatar_id)
                update = asyncio.create_task(
                    client.patch(
                        f"/api/v1/avatars/{avatar_id}", json={"name": "Finished"}, headers={**auth, "If-Match": etag}
                    )
                )
                async with asyncio.timeout(10):
                    while not await locker.fetchval(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND datname = current_database()"
                    ):
                        await asyncio.sleep(0.02)

                stopped_at = time.monotonic()
                served.process.send_signal(15)
                await asyncio.sleep(0.5)
                refused = await asyncio.to_thread(_refuses_connections, served.url)
                await locking.commit()  # the slow request can finish now

                response = await update
                exit_code = await asyncio.to_thread(served.process.wait, 15)
                took = time.monotonic() - stopped_at
                assert served.process.stdout is not None
                logged = served.process.stdout.read().decode()
                left = await _connections_of_the_service(locker)
            finally:
                await locker.close()

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Finished"
    assert refused, "a stopping server accepts no new connection"
    assert exit_code == 0
    assert took < 10, "it exited on its own, before the kill timeout"
    assert left == 0, "every database connection of the service was closed"
    assert '"message":"shutdown_complete"' in logged, "the lifespan shutdown ran"
