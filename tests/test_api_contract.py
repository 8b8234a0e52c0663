"""What SDK generators see in the document, and that it matches what the service sends.

The document's shape (`src/core/http/api_contract.py`) is checked here as rules over
every operation; then real responses are matched against it: every header of the
catalogue that a response carries is declared on that operation and status, so a route
that starts sending one cannot forget to say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from src.app import create_app
from src.cli import openapi_document
from src.core.http.api_contract import HEADERS
from tests.conftest import base_settings
from tests.support.accounts import PASSWORD, new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.http import running_app
from tests.support.webhooks import Receiver, webhook_settings

METHODS = ("get", "put", "post", "delete", "patch")
RATE_LIMITED_HEADERS = {"RateLimit", "RateLimit-Policy", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(openapi_document(base_settings()))
    return decoded


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def nodes(node: object) -> Iterator[dict[str, Any]]:
    if isinstance(node, list):
        for item in node:
            yield from nodes(item)
    elif isinstance(node, dict):
        yield node
        for value in node.values():
            yield from nodes(value)


def declared(document: dict[str, Any], operation: dict[str, Any], status: int) -> set[str]:
    response = operation["responses"].get(str(status), {})
    names = set(response.get("headers", {})) & HEADERS.keys()
    for name in names:
        assert response["headers"][name] == {"$ref": f"#/components/headers/{name}"}
        assert name in document["components"]["headers"]
    return names


def test_the_served_document_is_the_committed_one(client_document: dict[str, Any], document: dict[str, Any]) -> None:
    assert client_document == document


@pytest.fixture
async def client_document(client: httpx.AsyncClient) -> dict[str, Any]:
    served: dict[str, Any] = (await client.get("/schema/openapi.json")).json()
    return served


def test_every_header_in_the_catalogue_has_a_schema_and_a_description(document: dict[str, Any]) -> None:
    assert document["components"]["headers"] == HEADERS
    for name, header in HEADERS.items():
        assert header["description"], name
        assert header["schema"]["type"] in {"string", "integer"}, name


def test_every_response_says_which_headers_it_carries(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        probe = path.startswith("/health/")
        for status, response in operation["responses"].items():
            names = set(response["headers"])
            where = f"{method} {path} {status}"
            assert "X-Request-ID" in names, where
            assert (names >= RATE_LIMITED_HEADERS) is not probe, where  # the probes are never limited
            is_problem = "application/problem+json" in response.get("content", {})
            assert ("Retry-After" in names) == (status in {"429", "503"} and is_problem), where
            takes_key = any(parameter["name"] == "Idempotency-Key" for parameter in operation.get("parameters", []))
            assert ("Idempotent-Replayed" in names) == (takes_key and status.startswith("2")), where


def test_optional_parameters_are_plain_values_that_may_be_absent(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            where = f"{method} {path} {parameter['name']}"
            assert "oneOf" not in schema, where
            assert "anyOf" not in schema, where
            assert schema.get("type") != "null"


def test_no_composition_of_a_single_schema(document: dict[str, Any]) -> None:
    for node in nodes(document):
        for keyword in ("oneOf", "anyOf", "allOf"):
            if keyword in node:
                assert len(node[keyword]) >= 2, node


def test_bodies_that_are_not_json_are_bytes(document: dict[str, Any]) -> None:
    found = 0
    for _, _, operation in operations(document):
        for response in operation["responses"].values():
            for media_type, content in response.get("content", {}).items():
                if not re.fullmatch(r"application/([\w.+-]+\+)?json", media_type):
                    found += 1
                    assert content["schema"] == {"type": "string", "format": "binary", "contentMediaType": media_type}
    assert found >= 1  # the SVG


def test_the_svg_says_what_its_304_returns(document: dict[str, Any]) -> None:
    image = document["paths"]["/api/v1/avatars/{avatar_id}/image.svg"]["get"]["responses"]
    assert "content" not in image["304"]
    assert "no body" in image["304"]["description"]
    assert {"ETag", "X-Request-ID"} <= set(image["304"]["headers"])


def test_every_operation_states_its_security_and_a_description(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        assert isinstance(operation.get("security"), list), f"{method} {path}"
        assert operation.get("description"), f"{method} {path}"
        assert any(status.startswith("4") for status in operation["responses"]), f"{method} {path}"
    assert document["info"]["license"]["identifier"] == "MIT"
    assert document["info"]["contact"]["name"]


def test_problem_examples_name_their_own_operations_path(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        expected = re.sub(r"\{[^}]+\}", "[0-9a-f-]{36}", path)
        for response in operation["responses"].values():
            for example in response.get("content", {}).get("application/problem+json", {}).get("examples", {}).values():
                assert re.fullmatch(expected, example["value"]["instance"]), f"{method} {path}"


def test_the_view_of_an_avatar_carries_its_version_and_etag(document: dict[str, Any]) -> None:
    view = document["components"]["schemas"]["AvatarView"]
    assert {"version", "etag"} <= set(view["required"])
    assert view["properties"]["version"]["type"] == "integer"


# --- the document against real responses -----------------------------------------------


class Operations:
    """Finds the documented operation of a real request."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._routes = [
            (method, re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), operation)
            for method, path, operation in operations(document)
        ]

    def check(self, response: httpx.Response) -> None:
        method = response.request.method.lower()
        path = response.request.url.path
        [operation] = [op for m, pattern, op in self._routes if m == method and pattern.match(path)]
        sent = {name for name in HEADERS if name.lower() in response.headers}
        documented = declared(self.document, operation, response.status_code)
        assert str(response.status_code) in operation["responses"], f"{method} {path} {response.status_code}"
        assert sent <= documented, f"{method} {path} {response.status_code} sends {sorted(sent - documented)}"


async def test_what_responses_carry_is_what_the_document_declares(database_url: str, document: dict[str, Any]) -> None:
    limited = webhook_settings(database_url, rate_limit_auth="3/minute")
    checker = Operations(document)
    async with Receiver() as receiver, running_app(create_app(limited)) as client:
        responses: list[httpx.Response] = [
            await client.post(
                "/api/v1/auth/sign-up",
                json={"email": "contract@example.com", "password": PASSWORD, "display_name": "Contract"},
            )
        ]
        account = await new_account(client)
        avatar = await new_avatar(client, account)
        url = f"{AVATARS}/{avatar['id']}"
        key = {"Idempotency-Key": "contract-check-1"}
        body = {"name": "Keyed", "color": "#102030"}
        responses += [
            await client.post(AVATARS, json=body, headers={**account.headers, **key}),
            await client.post(AVATARS, json=body, headers={**account.headers, **key}),  # the replay
            await client.get(url),
            await client.get(AVATARS, params={"limit": 1}),
            await client.patch(url, json={"name": "New"}, headers={**account.headers, "If-Match": avatar["etag"]}),
            await client.patch(url, json={"name": "Stale"}, headers={**account.headers, "If-Match": avatar["etag"]}),
        ]
        image = await client.get(f"{url}/image.svg")
        responses += [image, await client.get(f"{url}/image.svg", headers={"If-None-Match": image.headers["etag"]})]
        responses += [
            await client.post(
                "/api/v1/webhooks",
                json={"url": receiver.url(), "events": ["avatar.created"]},
                headers=account.headers,
            ),
            await client.get("/api/v1/users/me", headers=account.headers),
            await client.get("/api/v1/users/me"),
            await client.get("/health/ready"),
            await client.get("/health/live", params={"unknown": "1"}),
        ]
        for _ in range(4):  # the auth policy allows 3 a minute here: the last is a 429
            responses.append(
                await client.post("/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD})
            )

    statuses = [response.status_code for response in responses]
    assert {200, 201, 304, 400, 401, 412, 429} <= set(statuses), statuses
    assert [r.headers.get("idempotent-replayed") for r in responses if r.request.url.path == AVATARS][:2] == [
        None,
        "true",
    ]
    assert [r.status_code for r in responses if r.request.url.path == "/api/v1/webhooks"] == [201]
    for response in responses:
        checker.check(response)
