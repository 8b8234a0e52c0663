from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import pytest

from src.core.ids import new_id
from tests.support.accounts import PASSWORD, sign_up, unique_email
from tests.support.logs import LogSink
from tests.support.problems import assert_problem


async def test_creates_the_account(client: httpx.AsyncClient) -> None:
    email = unique_email()

    response = await sign_up(client, email=email, display_name="  Ada Lovelace ")

    assert response.status_code == 201
    assert response.headers["location"] == "/api/v1/users/me"
    body = response.json()
    assert body.keys() == {"id", "email", "display_name", "created_at"}
    assert uuid.UUID(body["id"]).version == 7
    assert body["email"] == email
    assert body["display_name"] == "Ada Lovelace"
    assert body["created_at"].endswith("Z")


async def test_email_is_normalised_and_unique_case_insensitively(client: httpx.AsyncClient) -> None:
    email = unique_email()
    first = await sign_up(client, email=email.upper())

    second = await sign_up(client, email=email.capitalize())

    assert first.json()["email"] == email
    assert_problem(second, 409, "email_taken")


async def test_concurrent_sign_ups_with_one_address_create_one_account(
    client: httpx.AsyncClient, database_url: str
) -> None:
    email = unique_email()

    responses = await asyncio.gather(*(sign_up(client, email=email) for _ in range(8)))

    assert sorted(r.status_code for r in responses) == [201] + [409] * 7
    assert await _count_users(database_url, email) == 1


@pytest.mark.parametrize(
    ("changes", "pointer"),
    [
        ({"password": "short"}, "#/password"),
        ({"password": "x" * 129}, "#/password"),
        ({"password": "\U0001f510" * 100}, "#/password"),  # 100 characters, 400 bytes
        ({"email": "not-an-email"}, "#/email"),
        ({"email": " ada@example.com"}, "#/email"),
        ({"display_name": "   "}, "#/display_name"),
        ({"display_name": "bell\x07"}, "#/display_name"),
        ({"display_name": "x" * 51}, "#/display_name"),
    ],
)
async def test_invalid_input_names_the_field(client: httpx.AsyncClient, changes: dict[str, str], pointer: str) -> None:
    body = {"email": unique_email(), "password": PASSWORD, "display_name": "Ada", **changes}

    response = await client.post("/api/v1/auth/sign-up", json=body)

    problem = assert_problem(response, 400, "validation_failed")
    assert [error["pointer"] for error in problem["errors"]] == [pointer]


@pytest.mark.parametrize("extra", [{"role": "admin"}, {"id": str(new_id())}, {"password_hash": "x"}])
async def test_fields_the_caller_may_not_set_are_refused(
    client: httpx.AsyncClient, database_url: str, extra: dict[str, str]
) -> None:
    email = unique_email()
    body = {"email": email, "password": PASSWORD, "display_name": "Ada", **extra}

    response = await client.post("/api/v1/auth/sign-up", json=body)

    assert_problem(response, 400, "validation_failed")
    assert await _count_users(database_url, email) == 0


async def test_the_password_and_address_never_reach_the_logs(client: httpx.AsyncClient, logs: LogSink) -> None:
    email = unique_email()

    await sign_up(client, email=email, password="a very particular secret")
    await sign_up(client, email=email, password="a very particular secret")

    assert "a very particular secret" not in logs.text
    assert email not in logs.text


async def _count_users(dsn: str, email: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM users WHERE email = $1", email)
        return count
    finally:
        await connection.close()


@pytest.mark.parametrize("common", ["password12", "1234567890", "QWERTYUIOP", "qwerty123456 "])
async def test_the_most_common_passwords_are_refused(client: httpx.AsyncClient, common: str) -> None:
    problem = assert_problem(await sign_up(client, password=common), 400, "weak_password")
    assert problem["errors"] == [{"pointer": "#/password", "detail": problem["detail"], "location": "body"}]


async def test_a_password_equal_to_the_account_itself_is_refused(client: httpx.AsyncClient) -> None:
    email = unique_email("grace.hopper")
    for password in (email, email.upper(), email.partition("@")[0], "grace hopper jr"):
        response = await sign_up(client, email=email, password=password, display_name="Grace Hopper Jr")
        assert_problem(response, 400, "weak_password")
    assert (await sign_up(client, email=email, display_name="Grace Hopper Jr")).status_code == 201
