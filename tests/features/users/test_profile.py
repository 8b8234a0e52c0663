from __future__ import annotations

import httpx
import pytest

from tests.support.accounts import new_account
from tests.support.problems import assert_problem


async def test_get_my_profile(client: httpx.AsyncClient) -> None:
    account = await new_account(client, display_name="Grace")

    response = await client.get("/api/v1/users/me", headers=account.headers)

    assert response.status_code == 200
    profile = response.json()
    assert profile.keys() == {"id", "email", "email_verified", "display_name", "created_at", "updated_at"}
    assert profile["email_verified"] is False  # the link mailed at sign-up was not opened
    assert (profile["id"], profile["email"], profile["display_name"]) == (account.id, account.email, "Grace")


async def test_update_my_display_name(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    updated = await client.patch("/api/v1/users/me", json={"display_name": "  Grace Hopper "}, headers=account.headers)
    unchanged = await client.patch("/api/v1/users/me", json={}, headers=account.headers)

    assert updated.status_code == 200
    assert updated.json()["display_name"] == "Grace Hopper"
    assert updated.json()["updated_at"] > updated.json()["created_at"]
    assert unchanged.json()["display_name"] == "Grace Hopper"


@pytest.mark.parametrize("body", [{"email": "new@example.com"}, {"id": "x"}, {"password_hash": "x"}, {"role": "admin"}])
async def test_fields_that_are_not_editable_are_refused_and_change_nothing(
    client: httpx.AsyncClient, body: dict[str, str]
) -> None:
    account = await new_account(client)
    before = (await client.get("/api/v1/users/me", headers=account.headers)).json()

    response = await client.patch("/api/v1/users/me", json=body, headers=account.headers)

    assert_problem(response, 400, "validation_failed")
    assert (await client.get("/api/v1/users/me", headers=account.headers)).json() == before


@pytest.mark.parametrize("name", ["", "   ", "x" * 51, "tab\tinside"])
async def test_invalid_names_are_refused(client: httpx.AsyncClient, name: str) -> None:
    account = await new_account(client)

    response = await client.patch("/api/v1/users/me", json={"display_name": name}, headers=account.headers)

    problem = assert_problem(response, 400, "validation_failed")
    assert problem["errors"][0]["pointer"] == "#/display_name"


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/me"), ("PATCH", "/me"), ("DELETE", "/me"), ("POST", "/me/password")]
)
async def test_every_users_endpoint_needs_a_token(client: httpx.AsyncClient, method: str, path: str) -> None:
    response = await client.request(method, f"/api/v1/users{path}", json={})

    assert_problem(response, 401, "unauthorized")
