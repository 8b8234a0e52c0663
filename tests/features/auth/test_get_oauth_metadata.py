"""Discovery (RFC 8414, RFC 8615): a client configures itself from the origin's well-known
documents, and what they name works."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import jwt
from joserfc import jwt as joserfc_jwt
from joserfc.jwk import KeySet

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.http import running_app
from tests.support.problems import assert_problem

METADATA = "/.well-known/oauth-authorization-server"
PUBLIC = "https://avatars.example.com"


async def test_the_metadata_names_the_endpoints_under_the_public_base_url(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(public_base_url=PUBLIC + "/"))) as client:
        response = await client.get(METADATA)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "max-age=3600, public"
    assert response.headers["ratelimit-policy"].startswith('"default"')  # rate limited like the JWKS
    assert response.json() == {
        "issuer": "avatar-api",
        "jwks_uri": f"{PUBLIC}/.well-known/jwks.json",
        "token_endpoint": f"{PUBLIC}/api/v1/auth/token",
        "grant_types_supported": ["password", "refresh_token", "urn:avatar-api:oauth:grant-type:mfa-otp"],
        "token_endpoint_auth_methods_supported": ["none"],
        "response_types_supported": [],
        "service_documentation": f"{PUBLIC}/docs",
    }


async def test_urls_never_come_from_the_host_header(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(public_base_url=PUBLIC))) as client:
        response = await client.get(METADATA, headers={"host": "attacker.example", "x-forwarded-host": "evil.example"})

    assert response.status_code == 200
    assert {urlsplit(response.json()[key]).netloc for key in ("jwks_uri", "token_endpoint")} == {"avatars.example.com"}


async def test_without_a_public_base_url_development_names_where_it_listens(client: httpx.AsyncClient) -> None:
    response = await client.get(METADATA)

    assert response.json()["token_endpoint"] == "http://127.0.0.1:8000/api/v1/auth/token"


async def test_without_a_public_base_url_production_serves_no_document(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(app_env="production"))) as client:
        response = await client.get(METADATA)
        jwks = await client.get("/.well-known/jwks.json")

    assert "PUBLIC_BASE_URL" in assert_problem(response, 404, "not_found")["detail"]
    assert jwks.status_code == 200  # the keys need no URL


async def test_what_the_document_names_works_together(settings: Settings) -> None:
    """Follow the document as a client would: the token endpoint issues a token, the keys
    at jwks_uri verify it, and its `iss` is the document's issuer (RFC 9068 section 4)."""
    async with running_app(create_app(settings.with_changes(public_base_url=PUBLIC))) as client:
        account = await new_account(client)
        metadata = (await client.get(METADATA)).json()
        issued = await client.post(
            urlsplit(metadata["token_endpoint"]).path,
            data={"grant_type": "password", "username": account.email, "password": account.password},
        )
        keys = await client.get(urlsplit(metadata["jwks_uri"]).path)

    assert issued.status_code == 200, issued.text
    assert keys.headers["cache-control"] == "max-age=300, public"
    verified = joserfc_jwt.decode(
        issued.json()["access_token"], KeySet.import_key_set(keys.json()), algorithms=["ES256"]
    )
    assert verified.claims["iss"] == metadata["issuer"]
    assert verified.claims["sub"] == account.id
    assert {key["alg"] for key in keys.json()["keys"]} == {"ES256"}


async def test_the_issuer_follows_jwt_issuer(settings: Settings) -> None:
    configured = settings.with_changes(public_base_url=PUBLIC, jwt_issuer=PUBLIC)
    async with running_app(create_app(configured)) as client:
        account = await new_account(client)
        metadata = (await client.get(METADATA)).json()

    assert metadata["issuer"] == PUBLIC
    assert jwt.decode(account.tokens["access_token"], options={"verify_signature": False})["iss"] == PUBLIC


async def test_the_jwks_is_the_same_at_both_paths(client: httpx.AsyncClient) -> None:
    root = await client.get("/.well-known/jwks.json")
    versioned = await client.get("/api/v1/auth/.well-known/jwks.json")

    assert root.status_code == versioned.status_code == 200
    assert root.json() == versioned.json()
    assert root.json()["keys"]
