"""Strict query strings: a parameter a route does not declare, or one sent twice, is a 400.

Litestar ignores unknown query parameters and keeps the last of repeated ones, so
`?limt=5` silently pages by 20 and `?owner_id=a&owner_id=b` silently picks one: a typo or
a confused client gets an answer to a question it did not ask. The contract (and
`docs/errors.md`) says what is accepted; this check (a `core.checks` step, for routes
whose requests carry a query string) makes the service mean it, naming every offending
parameter with a pointer.
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


class _QueryCheck:
    __slots__ = ("_declared", "_sequences")

    def __init__(self, declared: frozenset[str], sequences: frozenset[str]) -> None:
        self._declared = declared
        self._sequences = sequences

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        query_string: bytes = request.scope["query_string"]
        if not query_string:
            return
        # Names in the order sent (percent-escapes decoded as Litestar does: UTF-8, bad bytes replaced).
        counts = Counter(name for name, _ in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))
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
                self._routes[id(handler)] = _QueryCheck(declared, sequences)

    def step_for(self, handler: HTTPRouteHandler) -> _QueryCheck | None:
        return self._routes.get(id(handler))
