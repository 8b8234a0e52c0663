from __future__ import annotations

import httpx

from src.app import create_app
from src.core.settings import Settings
from tests.support.http import asgi_transport


async def test_started_once_the_lifespan_has_finished(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/startup")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


async def test_starting_until_the_lifespan_has_run(settings: Settings) -> None:
    # Requests reach the app before its lifespan ran: nothing is open yet.
    app = create_app(settings)
    async with httpx.AsyncClient(transport=asgi_transport(app), base_url="http://test") as client:
        startup = await client.get("/health/startup")
        ready = await client.get("/health/ready")
        live = await client.get("/health/live")

    assert startup.status_code == 503
    assert startup.json() == {"status": "starting"}
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "checks": {"startup": "not_started"}}
    assert live.status_code == 200
