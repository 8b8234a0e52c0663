"""Strict query strings: a parameter a route does not declare, or one sent twice, is a 400.

Litestar ignores unknown query parameters and keeps the last of repeated ones, so
`?limt=5` silently pages by 20 and `?owner_id=a&owner_id=b` silently picks one: a typo or
a confused client gets an answer to a question it did not ask. The contract (and
`docs/errors.md`) says what is accepted; this check (a `core.checks` step, for routes
whose requests carry a query string) makes the service mean it, naming every offending
parameter with a pointer.

An optional parameter that may be absent is not nullable: the document types it as a
plain value (`owner_id`: a UUID), but msgspec's lax conversion reads the text `null` as
None, so `?owner_id=null` silently listed everyone's. A literal `null` for an optional
parameter that is not text is a 400 too.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Final
from urllib.parse import parse_qsl

from litestar import Litestar, Request
from litestar.handlers import HTTPRouteHandler
from litestar.routes import HTTPRoute

from src.core.errors import FieldError, InvalidInput

__all__ = ("StrictQueryParameters",)

_UNKNOWN: Final = "unknown_parameter"
_REPEATED: Final = "repeated_parameter"
_INVALID: Final = "validation_failed"


class _QueryCheck:
    __slots__ = ("_declared", "_not_null", "_sequences")

    def __init__(self, declared: frozenset[str], sequences: frozenset[str], not_null: frozenset[str]) -> None:
        self._declared = declared
        self._sequences = sequences
        self._not_null = not_null

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        query_string: bytes = request.scope["query_string"]
        if not query_string:
            return
        # Names in the order sent (percent-escapes decoded as Litestar does: UTF-8, bad bytes replaced).
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
        counts = Counter(name for name, _ in pairs)
        errors = [
            FieldError(pointer=f"#/{name}", detail=f"Unknown query parameter `{name}`", location="query")
            for name in counts
            if name not in self._declared
        ]
        code = _UNKNOWN if errors else _REPEATED
        errors += [
            FieldError(pointer=f"#/{name}", detail=f"`{name}` is given {count} times; send it once", location="query")
            for name, count in counts.items()
            if count > 1 and name in self._declared and name not in self._sequences
        ]
        if not errors:
            errors = [
                FieldError(pointer=f"#/{name}", detail=f"`{name}` may be left out, but not null", location="query")
                for name, value in pairs
                if value == "null" and name in self._not_null
            ]
            code = _INVALID
        if errors:
            detail = errors[0].detail if len(errors) == 1 else "The query string has invalid parameters; see errors."
            raise InvalidInput(detail, errors=tuple(errors), code=code)


class StrictQueryParameters:
    """The query-string check of `core.checks`. `learn(app)` reads what each route
    declares (its kwargs model, which Litestar builds with the app) once it is built."""

    __slots__ = ("_routes",)

    def __init__(self) -> None:
        self._routes: dict[int, _QueryCheck] = {}

    def learn(self, app: Litestar) -> None:
        for route in app.routes:
            if not isinstance(route, HTTPRoute):
                continue
            for handler, kwargs_model in route.route_handler_map.values():
                parameters = kwargs_model.expected_query_params
                declared = frozenset(parameter.field_alias for parameter in parameters)
                sequences = frozenset(parameter.field_alias for parameter in parameters if parameter.is_sequence)
                fields = handler.parsed_fn_signature.parameters
                not_null = frozenset(
                    parameter.field_alias
                    for parameter in parameters
                    if (field := fields.get(parameter.field_name)) is not None
                    and field.is_optional
                    and not field.has_inner_subclass_of(str)
                )
                self._routes[id(handler)] = _QueryCheck(declared, sequences, not_null)

    def step_for(self, handler: HTTPRouteHandler) -> _QueryCheck | None:
        return self._routes.get(id(handler))
