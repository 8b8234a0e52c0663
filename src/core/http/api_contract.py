"""The OpenAPI document as SDK generators and linters read it: Litestar's, finished.

Litestar's generated document leaves out what generated clients need to be typed and
what linters (spectral `spectral:oas`, redocly `recommended`) ask for. One pass over it,
the same for the served `/schema/openapi.json` and for `api openapi`, adds:

- **response headers**, from one catalogue (`components.headers`): `X-Request-ID` on
  every response, the rate-limit headers on every response of a rate-limited route,
  `Retry-After` on 429 and 503 problems, `Idempotent-Replayed` on the success of a route that takes
  an `Idempotency-Key`, and what a route declares it sends with `sends_headers(...)`
  (`ETag`, `Location`) on its success (and its 304);
- **optional parameters typed as plain values**: an absent header or query parameter is
  absent, not null (`oneOf [string, null]` breaks orval's `HeadersInit` and reads as
  "string | (string | null)" in Swagger UI);
- **no single-schema `oneOf`** (what msgspec's `UNSET` fields produce);
- **bytes as bytes**: a non-JSON response body is `format: binary` with its
  `contentMediaType`, so generators hand back a blob, not a parsed string;
- **`security: []` on public operations**, said rather than implied;
- **problem examples whose `instance` is the operation's own path**.

It imports Litestar only to read route handlers and render; no feature is named here.
"""

from __future__ import annotations

import copy
import re
from typing import Any, Final

from litestar import Litestar, Request
from litestar.datastructures import ResponseHeader
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.plugins import JsonRenderPlugin

from src.core.http.auth import required_scope
from src.core.http.idempotency import REPLAYED_HEADER
from src.core.http.problems import EXAMPLE_ID, PROBLEM_MEDIA_TYPE
from src.core.http.rate_limit import SKIP_OPT_KEY

__all__ = ("API_KEY_SCOPE_EXTENSION", "HEADERS", "ContractJsonRenderPlugin", "finish_document", "sends_headers")

API_KEY_SCOPE_EXTENSION: Final = "x-api-key-scope"

_INTEGER: Final = {"type": "integer", "minimum": 0}
_STRING: Final = {"type": "string"}

# Every header a response of ours may carry that a client has a reason to read.
HEADERS: Final[dict[str, dict[str, Any]]] = {
    "X-Request-ID": {
        "description": "This request's id (yours when you sent a valid one); quote it in reports.",
        "schema": {**_STRING, "maxLength": 128},
    },
    "ETag": {
        "description": "The representation's version; send it back in `If-Match` (edits) or `If-None-Match`.",
        "schema": {**_STRING, "examples": ['"v3"']},
    },
    "Location": {
        "description": "Where the created resource lives.",
        "schema": {**_STRING, "format": "uri-reference"},
    },
    REPLAYED_HEADER: {
        "description": "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`.",
        "schema": {**_STRING, "enum": ["true"]},
    },
    "RateLimit-Policy": {
        "description": 'The policy this route counts against (IETF draft): `"default";q=300;w=60`.',
        "schema": {**_STRING, "examples": ['"default";q=300;w=60']},
    },
    "RateLimit": {
        "description": 'What is left of it (IETF draft): `"default";r=299;t=60` (remaining, seconds to reset).',
        "schema": {**_STRING, "examples": ['"default";r=299;t=60']},
    },
    "RateLimit-Limit": {"description": "Requests allowed per window (older draft).", "schema": _INTEGER},
    "RateLimit-Remaining": {"description": "Requests left in this window (older draft).", "schema": _INTEGER},
    "RateLimit-Reset": {"description": "Seconds until the window resets (older draft).", "schema": _INTEGER},
    "Retry-After": {"description": "Seconds to wait before trying again.", "schema": {**_INTEGER, "minimum": 1}},
}
_RATE_LIMIT_HEADERS: Final = (
    "RateLimit-Policy",
    "RateLimit",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)
_RETRY_STATUSES: Final = frozenset({"429", "503"})  # as problems; a probe's 503 is its report
_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_JSON_MEDIA: Final = re.compile(r"^application/(?:[\w.+-]+\+)?json$")
_PATH_PARAMETER: Final = re.compile(r"\{([^}]+)\}")


def sends_headers(*names: str) -> list[ResponseHeader]:
    """What a route declares it sends on its success, by catalogue name (`response_headers=`)."""
    for name in names:
        if name not in HEADERS:
            raise KeyError(f"{name!r} is not in api_contract.HEADERS; add it there with its schema")
    return [ResponseHeader(name=name, documentation_only=True) for name in names]


class _Route:
    __slots__ = ("api_key_scope", "headers", "rate_limited")

    def __init__(self, handler: HTTPRouteHandler) -> None:
        self.headers = tuple(header.name for header in handler.resolve_response_headers() if header.name in HEADERS)
        self.rate_limited = not handler.opt.get(SKIP_OPT_KEY)
        self.api_key_scope = required_scope(handler)


def _routes(app: Litestar) -> dict[str, _Route]:
    """operationId -> what its handler declares (every operation of ours names its id)."""
    routes: dict[str, _Route] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if isinstance(handler, HTTPRouteHandler) and isinstance(handler.operation_id, str):
                routes[handler.operation_id] = _Route(handler)
    return routes


def finish_document(app: Litestar, schema: dict[str, Any]) -> dict[str, Any]:
    """A finished copy of Litestar's document (`schema` is left as it was)."""
    document = copy.deepcopy(schema)
    routes = _routes(app)
    document.setdefault("components", {})["headers"] = copy.deepcopy(HEADERS)
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            if (operation := item.get(method)) is not None:
                _finish_operation(path, operation, routes.get(operation.get("operationId", "")))
    for component in document["components"].get("schemas", {}).values():
        _flatten_single_one_of(component)
    return document


def _finish_operation(path: str, operation: dict[str, Any], route: _Route | None) -> None:
    operation.setdefault("security", [])
    if route is not None and route.api_key_scope is not None:
        # The scope an API key needs. Not in the ApiKeyAuth requirement itself: OpenAPI
        # defines scopes for OAuth 2 schemes only, and linters (spectral) refuse them
        # elsewhere; `x-api-key-scope` and the description say it instead.
        operation[API_KEY_SCOPE_EXTENSION] = route.api_key_scope
        operation["description"] = (
            f"{operation.get('description', '')}\n\nAn API key needs the `{route.api_key_scope}` scope."
        ).lstrip()
    for parameter in operation.get("parameters", []):
        if not parameter.get("required") and "schema" in parameter:
            parameter["schema"] = _without_null(parameter["schema"])
    idempotent = any(
        parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key"
        for parameter in operation.get("parameters", [])
    )
    instance = _PATH_PARAMETER.sub(EXAMPLE_ID, path)
    for status, response in operation.get("responses", {}).items():
        names = ["X-Request-ID"]
        if route is not None and route.rate_limited:
            names += _RATE_LIMIT_HEADERS
        if status in _RETRY_STATUSES and PROBLEM_MEDIA_TYPE in response.get("content", {}):
            names.append("Retry-After")
        success = status.startswith("2")
        if success and idempotent:
            names.append(REPLAYED_HEADER)
        if route is not None and success:
            names += route.headers
        elif route is not None and status == "304":
            names += [name for name in route.headers if name == "ETag"]  # the version you have
        response["headers"] = {
            **response.get("headers", {}),
            **{name: {"$ref": f"#/components/headers/{name}"} for name in names},
        }
        for media_type, content in response.get("content", {}).items():
            _finish_content(media_type, content, instance)


def _finish_content(media_type: str, content: dict[str, Any], instance: str) -> None:
    schema = content.get("schema", {})
    if not _JSON_MEDIA.match(media_type) and schema.get("type") == "string":
        content["schema"] = {"type": "string", "format": "binary", "contentMediaType": media_type}
    for example in content.get("examples", {}).values():
        value = example.get("value")
        if isinstance(value, dict) and "instance" in value:
            value["instance"] = instance


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`oneOf [X, null]` (with keywords beside it) -> X with those keywords."""
    options = schema.get("oneOf")
    if not isinstance(options, list):
        return schema
    kept = [option for option in options if option != {"type": "null"}]
    if len(kept) != 1:
        return schema
    rest = {key: value for key, value in schema.items() if key != "oneOf"}
    return {**kept[0], **rest}


def _flatten_single_one_of(node: object) -> None:
    """`oneOf` of one schema (msgspec's `T | UNSET`) -> that schema, merged in place."""
    if isinstance(node, list):
        for child in node:
            _flatten_single_one_of(child)
        return
    if not isinstance(node, dict):
        return
    options = node.get("oneOf")
    if isinstance(options, list) and len(options) == 1 and isinstance(options[0], dict):
        only = node.pop("oneOf")[0]
        for key, value in only.items():
            node.setdefault(key, value)
    for child in list(node.values()):
        _flatten_single_one_of(child)


class ContractJsonRenderPlugin(JsonRenderPlugin):
    """Serves the finished document at `/schema/openapi.json` (built once per app)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._finished: dict[str, Any] | None = None

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        if self._finished is None:
            self._finished = finish_document(request.app, openapi_schema)
        return self.render_json(request, self._finished)
