"""Every error is RFC 9457 problem+json with our extension members, whoever raised it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from src.app import create_app
from src.core.settings import Settings
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.probe_routes import probe_router
from tests.support.problems import assert_problem


async def test_unknown_route_is_a_404_problem(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/no/such/route"), 404, "not_found")

    assert body["title"] == "Not Found"
    assert "/no/such/route" in body["detail"]


async def test_wrong_method_is_a_405_problem_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")

    assert_problem(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"]


async def test_invalid_query_parameter_names_the_parameter(probe_client: httpx.AsyncClient) -> None:
    body = assert_problem(await probe_client.get("/api/v1/probe/query", params={"n": "x"}), 400, "validation_failed")

    assert body["errors"] == [{"pointer": "#/n", "detail": "Expected `int`, got `str`", "location": "query"}]


async def test_missing_query_parameter_is_reported(probe_client: httpx.AsyncClient) -> None:
    body = assert_problem(await probe_client.get("/api/v1/probe/query"), 400, "validation_failed")

    assert body["errors"][0]["pointer"] == "#/n"
    assert body["errors"][0]["location"] == "query"


@pytest.mark.parametrize(
    ("payload", "pointer", "detail"),
    [
        ('{"name": "ab", "count": "5"}', "#/count", "Expected `int`, got `str`"),
        ('{"name": "ab", "count": true}', "#/count", "Expected `int`, got `bool`"),
        ('{"name": "", "count": 1}', "#/name", "Expected `str` of length >= 1"),
        ('{"name": "ab", "count": 1, "role": "admin"}', "#/role", "Object contains unknown field `role`"),
        ('{"name": "ab"}', "#/count", "Object missing required field `count`"),
        ('{"name": "ab", "count": 1, "tags": [1]}', "#/tags/0", "Expected `str`, got `int`"),
        ("[1, 2]", "#", "Expected `object`, got `array`"),
    ],
)
async def test_body_is_decoded_strictly_with_a_pointer_to_the_field(
    probe_client: httpx.AsyncClient, payload: str, pointer: str, detail: str
) -> None:
    response = await probe_client.post(
        "/api/v1/probe/echo", content=payload, headers={"content-type": "application/json"}
    )

    body = assert_problem(response, 400, "validation_failed")
    assert body["errors"] == [{"pointer": pointer, "detail": detail, "location": "body"}]


async def test_every_bad_field_is_reported_not_only_the_first(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/api/v1/probe/echo", json={"name": "", "tags": ["ok", 7], "role": "admin", "level": 3}
    )

    body = assert_problem(response, 400, "validation_failed")
    assert body["detail"] == "The body has invalid values; see errors."
    assert body["errors"] == [
        {"pointer": "#/name", "detail": "Expected `str` of length >= 1", "location": "body"},
        {"pointer": "#/count", "detail": "Object missing required field `count`", "location": "body"},
        {"pointer": "#/tags/1", "detail": "Expected `str`, got `int`", "location": "body"},
        {"pointer": "#/role", "detail": "Object contains unknown field `role`", "location": "body"},
        {"pointer": "#/level", "detail": "Object contains unknown field `level`", "location": "body"},
    ]


async def test_valid_body_reaches_the_handler(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post("/api/v1/probe/echo", json={"name": "ab", "count": 2, "tags": ["x"]})

    assert response.status_code == 201
    assert response.json() == {"name": "ab", "count": 2, "tags": ["x"]}


@pytest.mark.parametrize("content", [b"{not json", b"0 x", b'{"name": "ab"} trailing', b"[1, 2"])
async def test_malformed_json_is_a_400(probe_client: httpx.AsyncClient, content: bytes) -> None:
    """Also where the typed decoder fails first on a value, before the syntax error (`0 x`)."""
    response = await probe_client.post(
        "/api/v1/probe/echo", content=content, headers={"content-type": "application/json"}
    )

    assert_problem(response, 400, "malformed_json")


async def test_non_json_content_type_is_a_415(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.post(
        "/api/v1/probe/echo", content=b'{"name": "ab", "count": 1}', headers={"content-type": "text/plain"}
    )

    assert_problem(response, 415, "unsupported_media_type")


async def test_missing_body_is_a_400(probe_client: httpx.AsyncClient) -> None:
    assert_problem(await probe_client.post("/api/v1/probe/echo"), 400, "body_required")


async def test_body_over_the_limit_is_a_413(probe_client: httpx.AsyncClient) -> None:
    oversized = b'{"name": "' + b"a" * 70_000 + b'", "count": 1}'

    response = await probe_client.post(
        "/api/v1/probe/echo", content=oversized, headers={"content-type": "application/json"}
    )

    assert_problem(response, 413, "payload_too_large")


async def test_streamed_body_over_the_limit_is_a_413(settings: Settings) -> None:
    """No Content-Length to trust: the limit holds on the bytes actually received."""

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"a" * 8192

    async with running_app(create_app(settings, features=[probe_router])) as client:
        response = await client.post(
            "/api/v1/probe/echo", content=chunks(), headers={"content-type": "application/json"}
        )

    body = assert_problem(response, 413, "payload_too_large")
    assert body["detail"] == "The request body is larger than this endpoint accepts."


async def test_domain_errors_keep_their_status_and_code(probe_client: httpx.AsyncClient) -> None:
    body = assert_problem(await probe_client.get("/api/v1/probe/missing"), 404, "not_found")
    assert body["detail"] == "No such thing."

    body = assert_problem(await probe_client.get("/api/v1/probe/conflict"), 409, "already_there")
    assert body["title"] == "Conflict"


async def test_unexpected_error_is_a_500_with_nothing_internal(probe_client: httpx.AsyncClient, logs: LogSink) -> None:
    response = await probe_client.get("/api/v1/probe/boom")

    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text
    assert "RuntimeError" not in response.text
    (logged,) = logs.events("unhandled_exception")
    assert logged["request_id"] == body["request_id"]
    assert logged["severity"] == "ERROR"
    assert "secret table layout" in str(logged["exception"])


async def test_database_connection_loss_is_a_503_with_retry_after(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/api/v1/probe/db-gone")

    assert_problem(response, 503, "database_unavailable")
    assert response.headers["retry-after"] == "2"


@pytest.mark.parametrize(
    "path", ["/schema/swagger", "/schema/redoc", "/schema/x", "/schema/openapi.yaml", "/docs/x", "/docs/assets/x.js"]
)
async def test_unknown_documentation_paths_are_problems_not_html(client: httpx.AsyncClient, path: str) -> None:
    """Litestar's schema router answered these with an HTML 404 page of its own."""
    assert_problem(await client.get(path), 404, "not_found")


async def test_a_refused_cors_preflight_is_a_problem(settings: Settings) -> None:
    cors = settings.with_changes(cors_allow_origins=("https://app.example.com",))
    async with running_app(create_app(cors)) as client:
        response = await client.options(
            "/api/v1/avatars",
            headers={"Origin": "https://evil.example.net", "Access-Control-Request-Method": "POST"},
        )

    assert 400 <= response.status_code < 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "access-control-allow-origin" not in response.headers
