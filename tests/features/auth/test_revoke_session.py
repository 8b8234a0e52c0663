from __future__ import annotations

import httpx

from src.core.ids import new_id
from tests.support.accounts import bearer, log_in, new_account
from tests.support.problems import assert_problem


async def test_signing_a_device_out_stops_its_tokens(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    phone = (await log_in(client, account.email)).json()
    sessions = (await client.get("/api/v1/auth/sessions", headers=account.headers)).json()["data"]
    phone_session = next(session["id"] for session in sessions if not session["current"])

    response = await client.delete(f"/api/v1/auth/sessions/{phone_session}", headers=account.headers)
    again = await client.delete(f"/api/v1/auth/sessions/{phone_session}", headers=account.headers)

    assert response.status_code == again.status_code == 204
    assert_problem(await client.get("/api/v1/users/me", headers=bearer(phone["access_token"])), 401, "invalid_token")
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": phone["refresh_token"]})
    assert_problem(refreshed, 401, "invalid_token")
    assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 200


async def test_someone_elses_session_is_not_found(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    intruder = await new_account(client)
    owner_session = (await client.get("/api/v1/auth/sessions", headers=owner.headers)).json()["data"][0]["id"]

    foreign = await client.delete(f"/api/v1/auth/sessions/{owner_session}", headers=intruder.headers)
    missing = await client.delete(f"/api/v1/auth/sessions/{new_id()}", headers=intruder.headers)

    assert_problem(foreign, 404, "not_found")
    assert foreign.json()["detail"] == missing.json()["detail"]
    assert (await client.get("/api/v1/users/me", headers=owner.headers)).status_code == 200


async def test_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_problem(await client.delete(f"/api/v1/auth/sessions/{new_id()}"), 401, "unauthorized")
