"""Security headers on every response, errors included; CORS from an explicit allow-list."""

from __future__ import annotations

import httpx
import pytest

from src.app import create_app
from src.core.http.edge import DOCS_CSP
from src.core.settings import Settings
from tests.support.http import running_app
from tests.support.probe_routes import probe_router

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"


def assert_security_headers(response: httpx.Response, csp: str = API_CSP) -> None:
    headers = response.headers
    assert headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["content-security-policy"] == csp


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/health/live", 200),
        ("GET", "/api/v1/probe/missing", 404),
        ("GET", "/no/such/route", 404),
        ("DELETE", "/health/live", 405),
        ("POST", "/api/v1/probe/echo", 400),
        ("GET", "/api/v1/probe/boom", 500),
        ("GET", "/api/v1/probe/db-gone", 503),
        ("GET", "/schema/openapi.json", 200),
        ("GET", "/metrics", 200),
    ],
)
async def test_every_response_carries_the_security_headers(
    probe_client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await probe_client.request(method, path)

    assert response.status_code == status
    assert_security_headers(response)


async def test_rate_limited_and_oversized_responses_carry_them_too(settings: Settings) -> None:
    tight = settings.with_changes(rate_limit_default="1/minute")
    async with running_app(create_app(tight, features=[probe_router])) as client:
        await client.get("/api/v1/probe/query?n=1")
        rejected = await client.get("/api/v1/probe/query?n=1")
        oversized = await client.post(
            "/api/v1/probe/echo", content=b"x" * 70_000, headers={"content-type": "application/json"}
        )

    assert rejected.status_code == 429
    assert_security_headers(rejected)
    assert oversized.status_code in {413, 429}
    assert_security_headers(oversized)


async def test_the_docs_page_gets_a_policy_that_lets_it_run(client: httpx.AsyncClient) -> None:
    response = await client.get("/docs")

    assert response.status_code == 200
    assert_security_headers(response, csp=DOCS_CSP)
    assert "'unsafe-eval'" not in DOCS_CSP
    assert "script-src 'self';" in DOCS_CSP


async def test_a_route_that_sets_its_own_policy_keeps_it(probe_client: httpx.AsyncClient) -> None:
    response = await probe_client.get("/api/v1/probe/own-csp")

    assert response.headers.get_list("content-security-policy") == ["default-src 'none'; style-src 'unsafe-inline'"]


async def test_no_cors_headers_without_an_allow_list(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"Origin": "https://app.example"})

    assert "access-control-allow-origin" not in response.headers


async def test_allowed_origin_gets_cors_headers_and_a_preflight(settings: Settings) -> None:
    allowing = settings.with_changes(cors_allow_origins=("https://app.example",))
    async with running_app(create_app(allowing, features=[probe_router])) as client:
        preflight = await client.options(
            "/api/v1/probe/echo",
            headers={
                "Origin": "https://app.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, idempotency-key",
            },
        )
        simple = await client.get("/api/v1/probe/query?n=1", headers={"Origin": "https://app.example"})

    assert preflight.status_code in {200, 204}
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "idempotency-key" in preflight.headers["access-control-allow-headers"].lower()
    assert preflight.headers["access-control-max-age"] == "600"
    assert_security_headers(preflight)
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    exposed = simple.headers["access-control-expose-headers"].lower()
    assert "x-request-id" in exposed
    assert "ratelimit-remaining" in exposed
    assert "access-control-allow-credentials" not in simple.headers


async def test_other_origins_get_no_cors_headers(settings: Settings) -> None:
    allowing = settings.with_changes(cors_allow_origins=("https://app.example",))
    async with running_app(create_app(allowing, features=[probe_router])) as client:
        preflight = await client.options(
            "/api/v1/probe/echo",
            headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
        )
        simple = await client.get("/api/v1/probe/query?n=1", headers={"Origin": "https://evil.example"})

    assert "access-control-allow-origin" not in preflight.headers
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in simple.headers
