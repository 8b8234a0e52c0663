"""The OpenAPI document is good enough to generate SDKs from: every operation is named,
summarised, tagged, and documents its success and every problem it can return."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import pytest

from src.app import create_app
from src.cli import openapi_document
from src.core.http.auth import required_scope
from src.core.security.api_keys import SCOPES
from tests.conftest import base_settings

METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    decoded: dict[str, Any] = msgspec.json.decode(openapi_document(base_settings()))
    return decoded


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


# The media types request bodies come in: JSON, and the OAuth token endpoint's form.
BODY_MEDIA_TYPES = ("application/json", "application/x-www-form-urlencoded")


def request_bodies(document: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """(method, path, media type, schema name) of every request body."""
    found = []
    for method, path, operation in operations(document):
        if body := operation.get("requestBody"):
            assert body["content"].keys() <= set(BODY_MEDIA_TYPES), f"{method} {path}"
            for media_type, content in body["content"].items():
                found.append((method, path, media_type, content["schema"]["$ref"].rsplit("/", 1)[-1]))
    return found


def test_it_is_openapi_3_1_with_a_title_and_version(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"]
    assert document["info"]["version"]


def test_operation_ids_are_unique_readable_camel_case(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]

    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-zA-Z]+", operation_id) for operation_id in ids), ids


def test_every_operation_has_a_summary_and_a_feature_tag(document: dict[str, Any]) -> None:
    known_tags = {tag["name"] for tag in document["tags"]}
    for method, path, operation in operations(document):
        assert operation.get("summary"), f"{method} {path} has no summary"
        assert operation.get("tags"), f"{method} {path} has no tag"
        assert set(operation["tags"]) <= known_tags, f"{method} {path} uses an undeclared tag"


def test_every_operation_documents_success_and_problems(document: dict[str, Any]) -> None:
    for method, path, operation in operations(document):
        responses = operation["responses"]
        assert any(status.startswith("2") for status in responses), f"{method} {path}: no success response"
        assert "500" in responses, f"{method} {path}: 500 undocumented"
        for status, response in responses.items():
            if status.startswith(("4", "5")) and "application/problem+json" in response.get("content", {}):
                schema = response["content"]["application/problem+json"]["schema"]
                # The one extension: a password login's 403 (JSON or browser) may carry the MFA challenge.
                if status == "403" and path in {"/api/v1/auth/login", "/api/v1/auth/browser/login"}:
                    assert schema == {"$ref": "#/components/schemas/MfaRequiredProblem"}
                    continue
                assert schema == {"$ref": "#/components/schemas/Problem"}, f"{method} {path} {status}"
        if not path.startswith("/health"):
            assert {"429", "500", "503"} <= responses.keys(), f"{method} {path}"


def test_request_bodies_have_a_schema_and_an_example(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    bodies = request_bodies(document)
    assert {media_type for _, _, media_type, _ in bodies} == set(BODY_MEDIA_TYPES)
    for method, path, _, name in bodies:
        properties = schemas[name]["properties"]
        assert all("examples" in spec or "example" in spec for spec in properties.values()), (
            f"{method} {path}: give every field of {name} an example"
        )
        responses = document["paths"][path][method.lower()]["responses"]
        assert {"400", "413", "415"} <= responses.keys(), f"{method} {path}"


def test_the_problem_schema_is_rfc_9457_plus_our_members(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["Problem"]

    assert set(problem["required"]) == {"type", "title", "status", "detail", "instance", "code", "request_id"}
    assert "errors" in problem["properties"]


def test_request_bodies_refuse_unknown_properties_in_the_document_too(document: dict[str, Any]) -> None:
    """JSON bodies refuse what they do not know, and say so. The token endpoint's form
    ignores it, as RFC 6749 section 3.2 requires, and says that (no `false`)."""
    schemas = document["components"]["schemas"]
    for method, path, media_type, name in request_bodies(document):
        if media_type == "application/json":
            assert schemas[name].get("additionalProperties") is False, f"{method} {path}: {name}"
        else:
            assert (method, path, name) == ("POST", "/api/v1/auth/token", "TokenRequest")
            assert "additionalProperties" not in schemas[name]


def test_schema_names_are_readable_identifiers(document: dict[str, Any]) -> None:
    for name in document["components"]["schemas"]:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", name), f"{name}: name generic types, e.g. class AvatarsPage"


REQUIRED: list[dict[str, list[str]]] = [{"BearerAuth": []}, {"OAuth2": []}]
OPTIONAL: list[dict[str, list[str]]] = [{}, {"BearerAuth": []}, {"OAuth2": []}]


def test_protected_operations_declare_either_scheme(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["BearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": document["components"]["securitySchemes"]["BearerAuth"]["description"],
    }
    protected = 0
    for method, path, operation in operations(document):
        security = operation.get("security", [])
        # An operation an API key may call adds ApiKeyAuth, with its scope, after the token schemes;
        # the browser session's routes take its cookie instead (test_the_browser_routes_take_their_cookie).
        tokens = [
            requirement
            for requirement in security
            if "ApiKeyAuth" not in requirement and "BrowserSessionCookie" not in requirement
        ]
        if "401" in operation["responses"] and not path.startswith("/api/v1/auth/"):
            assert tokens in (REQUIRED, OPTIONAL), f"{method} {path}"
            protected += 1
        # Whatever names one scheme names the other: both stand for the same bearer token.
        if any(tokens):
            assert tokens[-2:] == REQUIRED, f"{method} {path}"
    assert protected >= 15


def test_the_browser_routes_take_their_cookie(document: dict[str, Any]) -> None:
    assert document["components"]["securitySchemes"]["BrowserSessionCookie"] == {
        "type": "apiKey",
        "name": "__Secure-avatar-refresh",
        "in": "cookie",
        "description": document["components"]["securitySchemes"]["BrowserSessionCookie"]["description"],
    }
    takes_cookie = {
        path: operation["security"]
        for _, path, operation in operations(document)
        if any("BrowserSessionCookie" in requirement for requirement in operation.get("security", []))
    }
    assert takes_cookie == {
        "/api/v1/auth/browser/refresh": [{"BrowserSessionCookie": []}],
        "/api/v1/auth/browser/logout": [{}, {"BrowserSessionCookie": []}],
    }
    login = document["paths"]["/api/v1/auth/browser/login"]["post"]
    assert login["security"] == []
    for path in ("/api/v1/auth/browser/refresh", "/api/v1/auth/browser/logout"):
        (csrf,) = document["paths"][path]["post"]["parameters"]
        assert (csrf["name"], csrf["in"], csrf["required"]) == ("X-CSRF-Token", "header", False)


def test_every_operation_an_api_key_may_call_declares_its_scope(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["ApiKeyAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert all(f"`{scope}`" in scheme["description"] for scope in SCOPES)
    app = create_app(base_settings())
    declared = {
        str(handler.operation_id): required_scope(handler)
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if handler.operation_id and "OPTIONS" not in handler.http_methods
    }
    listed = 0
    for method, path, operation in operations(document):
        keys = [
            requirement["ApiKeyAuth"] for requirement in operation.get("security", []) if "ApiKeyAuth" in requirement
        ]
        scope = declared.get(operation["operationId"])
        # OpenAPI gives scopes to OAuth 2 schemes only: the scope is the operation's extension.
        assert keys == ([[]] if scope is not None else []), f"{method} {path}"
        assert operation.get("x-api-key-scope") == scope, f"{method} {path}"
        if scope is not None:
            assert operation["description"].endswith(f"An API key needs the `{scope}` scope."), f"{method} {path}"
        listed += bool(keys)
    assert listed >= 20
    # What a key may never do, whatever its scopes: its own kind, sessions, the password, the account.
    for operation_id in (
        "createApiKey",
        "listApiKeys",
        "revokeApiKey",
        "listSessions",
        "changeMyPassword",
        "deleteMyAccount",
        "getMyMfaStatus",
        "enrolTotp",
        "confirmTotp",
        "disableTotp",
        "regenerateBackupCodes",
    ):
        assert declared[operation_id] is None, operation_id


def test_the_oauth2_scheme_is_the_password_flow_of_the_token_endpoint(document: dict[str, Any]) -> None:
    """What Swagger UI's Authorize dialog reads: the password flow, at our token endpoint,
    which takes the form the flow sends (tests/features/auth/test_issue_token.py logs in
    through it)."""
    scheme = document["components"]["securitySchemes"]["OAuth2"]
    assert scheme["type"] == "oauth2"
    assert scheme["flows"].keys() == {"password"}
    flow = scheme["flows"]["password"]
    assert flow["tokenUrl"] == flow["refreshUrl"] == "/api/v1/auth/token"
    assert flow["scopes"] == {}
    operation = document["paths"][flow["tokenUrl"]]["post"]
    assert operation["operationId"] == "issueToken"
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]["$ref"]
    token_request = document["components"]["schemas"][form.rsplit("/", 1)[-1]]
    assert token_request["required"] == ["grant_type"]
    assert token_request["properties"]["grant_type"]["enum"] == [
        "password",
        "refresh_token",
        "urn:avatar-api:oauth:grant-type:mfa-otp",
    ]
    assert {"username", "password", "refresh_token", "mfa_token", "otp", "scope"} <= token_request["properties"].keys()
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenPair"
    }
    assert operation["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TokenErrorResponse"
    }


def test_discovery_is_public(document: dict[str, Any]) -> None:
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/jwks.json", "/api/v1/auth/token"):
        (operation,) = (item for method, item in document["paths"][path].items() if method in METHODS)
        assert operation.get("security", []) == [], path


# Request strings that are hashed or compared, never stored as text (the token endpoint
# compares grant_type, refuses any scope and ignores client_id).
NEVER_STORED = frozenset(
    {
        "password",
        "current_password",
        "new_password",
        "refresh_token",
        "grant_type",
        "scope",
        "client_id",
        "mfa_token",  # hashed, as refresh tokens are
        "otp",  # compared, never stored
    }
)


def patterned(node: object) -> list[dict[str, Any]]:
    """Every schema in the document that carries a pattern, with its examples."""
    if isinstance(node, list):
        return [found for item in node for found in patterned(item)]
    if not isinstance(node, dict):
        return []
    here = [node] if isinstance(node.get("pattern"), str) else []
    return here + [found for value in node.values() for found in patterned(value)]


def test_patterns_mean_the_same_to_python_and_to_ecmascript(document: dict[str, Any]) -> None:
    """Python's `$` also matches before a final line feed; ECMAScript's (and `\\Z`) only at
    the end. A pattern that ends in plain `$` lets "#AABBCC\\n" through our validation."""
    schemas = patterned(document)
    assert len(schemas) >= 8
    for schema in schemas:
        pattern = schema["pattern"]
        assert pattern.startswith("^"), pattern
        assert pattern.endswith("$"), pattern
        at_the_very_end = pattern[:-1] + r"\Z"
        examples = schema.get("examples") or []
        assert examples, f"give {pattern!r} an example"
        for example in examples:
            assert re.search(pattern, example), (pattern, example)
            for sample in (example, example + "\n", "\n" + example):
                assert bool(re.search(pattern, sample)) == bool(re.search(at_the_very_end, sample)), (pattern, sample)


def test_request_strings_that_are_stored_refuse_nul(document: dict[str, Any]) -> None:
    """PostgreSQL text cannot hold U+0000: the schema refuses it, so clients learn it."""
    schemas = document["components"]["schemas"]
    checked = 0
    for _, _, _, name in request_bodies(document):
        for field, spec in schemas[name]["properties"].items():
            kinds = {spec.get("type"), *(option.get("type") for option in spec.get("oneOf", []))}
            formats = {spec.get("format"), *(option.get("format") for option in spec.get("oneOf", []))}
            # An enum is matched exactly, a date-time parsed: neither holds NUL.
            if "string" not in kinds or field in NEVER_STORED or "enum" in spec or "date-time" in formats:
                continue
            assert "pattern" in spec, f"{name}.{field}: a stored string needs a pattern that refuses NUL"
            (example, *_) = spec["examples"]
            for sample in (example + "\x00", example[:1] + "\x00" + example[1:]):
                assert not re.search(spec["pattern"], sample), f"{name}.{field} accepts {sample!r}"
            checked += 1
    assert checked >= 8
