"""The query string means what the contract says: unknown or repeated parameters are a 400."""

from __future__ import annotations

import httpx
import pytest

from tests.support.accounts import new_account
from tests.support.avatars import AVATARS
from tests.support.problems import assert_problem


@pytest.mark.parametrize(
    ("query", "pointer", "detail"),
    [
        ("limt=5", "#/limt", "Unknown query parameter `limt`"),
        ("limit=5&role=admin", "#/role", "Unknown query parameter `role`"),
        ("%FF=1", "#/\ufffd", "Unknown query parameter `\ufffd`"),
    ],
)
async def test_an_unknown_parameter_is_named(client: httpx.AsyncClient, query: str, pointer: str, detail: str) -> None:
    problem = assert_problem(await client.get(httpx.URL(AVATARS, query=query.encode())), 400, "unknown_parameter")

    assert problem["errors"] == [{"pointer": pointer, "detail": detail, "location": "query"}]


async def test_a_repeated_parameter_is_refused_rather_than_one_picked(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    response = await client.get(AVATARS, params=[("owner_id", owner.id), ("owner_id", owner.id), ("limit", "5")])

    problem = assert_problem(response, 400, "repeated_parameter")
    assert problem["errors"] == [
        {"pointer": "#/owner_id", "detail": "`owner_id` is given 2 times; send it once", "location": "query"}
    ]


async def test_every_offending_parameter_is_reported(client: httpx.AsyncClient) -> None:
    response = await client.get(AVATARS, params=[("a", "1"), ("b", "2"), ("limit", "1"), ("limit", "2")])

    problem = assert_problem(response, 400, "unknown_parameter")
    assert [error["pointer"] for error in problem["errors"]] == ["#/a", "#/b", "#/limit"]


@pytest.mark.parametrize("path", ["/health/live", "/api/v1/auth/.well-known/jwks.json", "/api/v1/users/me"])
async def test_routes_without_parameters_take_none(client: httpx.AsyncClient, path: str) -> None:
    owner = await new_account(client)
    assert_problem(await client.get(path, params={"debug": "1"}, headers=owner.headers), 400, "unknown_parameter")
    assert (await client.get(path, headers=owner.headers)).status_code == 200


async def test_declared_parameters_and_an_empty_query_pass(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{AVATARS}?")).status_code == 200
    assert (await client.get(AVATARS, params={"limit": "3", "cursor": ""})).status_code == 200


async def test_an_optional_parameter_may_be_left_out_but_is_never_null(client: httpx.AsyncClient) -> None:
    """The document types `owner_id` as a UUID that may be absent; msgspec read the text
    `null` as None, so `?owner_id=null` answered everyone's avatars (the fuzz found it)."""
    problem = assert_problem(await client.get(AVATARS, params={"owner_id": "null"}), 400, "validation_failed")

    assert problem["errors"] == [
        {"pointer": "#/owner_id", "detail": "`owner_id` may be left out, but not null", "location": "query"}
    ]
    assert (await client.get(AVATARS)).status_code == 200
