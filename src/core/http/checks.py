"""The checks every route's requests pass before its dependencies resolve.

Litestar takes one app-wide `before_request` hook; `RouteChecks` is that hook. Each
check says, the first time a route is called, what it must do for that route (for most
routes and most checks: nothing), and from then on a request runs only those steps, in
the order the checks were given: rate limit, authentication, strict body. A step that
refuses the request raises a domain error, answered as problem details; it runs before
any connection is taken, so nothing needs releasing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from litestar import Request
from litestar.handlers import HTTPRouteHandler

__all__ = ("RouteCheck", "RouteChecks", "Step")

type Step = Callable[[Request[Any, Any, Any]], Awaitable[None]]


class RouteCheck(Protocol):
    def step_for(self, handler: HTTPRouteHandler) -> Step | None:
        """What this check does for the route's requests; None when nothing."""
        ...


class RouteChecks:
    __slots__ = ("_checks", "_plans")

    def __init__(self, *checks: RouteCheck) -> None:
        self._checks = checks
        self._plans: dict[int, tuple[Step, ...]] = {}  # per route handler; bounded by the routes

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        handler = request.route_handler
        try:
            steps = self._plans[id(handler)]
        except KeyError:
            steps = self._plans[id(handler)] = tuple(
                step for check in self._checks if (step := check.step_for(handler)) is not None
            )
        for step in steps:
            await step(request)
