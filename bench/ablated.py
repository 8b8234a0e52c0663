"""Our service with kernel components switched off: the launcher of bench/ablation.py.

    BENCH_ABLATE=access_log,metrics python -m bench.ablated     # as `api serve`, those parts off

The switches live here, in the benchmark, and nowhere in the service: each one replaces a
kernel part by the least that keeps the benchmark's requests answered the same way (same
status, same body, same SQL), so the difference in CPU per request is what that part
costs. Each worker applies them in `app_from_env` before building the app, so they hold
in every worker. What each switch removes:

- `access_log`: the access log line only (the edge writes none; everything else still
  logs at `info`);
- `info_logs`: `LOG_LEVEL=warning`: no access line and no `info` line of any kind, also
  Granian's own logging at `warning`;
- `request_ids`: reading, making (UUID v7) and binding the request id (a constant is echoed);
- `metrics`: the request counter, duration histogram and in-flight gauge;
- `security_headers`: the security headers, CSP and the `no-store` default (the request
  id and the rate-limit headers are still added);
- `rate_limit`: the rate-limit step and its headers (`RATE_LIMIT_ENABLED=false`);
- `auth_public`: the auth step on a route that works without a token (a public read);
- `strict_body`: the strict JSON and form body steps (Litestar decodes bodies itself);
- `strict_query`: the strict query-string step;
- `read_retry`: the middleware that retries a read whose connection was lost;
- `waiting_line`: the line in front of the pool (`pool.acquire` straight away);
- `dependencies`: our connection providers (the resources lookup, `Database.acquire`'s
  error mapping and the line) replaced by a bare `pool.acquire` as Litestar alone has it;
  the session check of the route's user is kept, so the same SQL runs;
- `problem_mapping`: our exception handlers (only reached on errors; the happy path
  should not pay for them);
- `all`: every switch above at once.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncGenerator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Final

from litestar import Litestar, Request
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler

import src.app
from src.core.data import database as database_module
from src.core.data import waiting_line
from src.core.http import auth, body, dependencies, edge, form, parameters
from src.core.observability.logging import configure_logging
from src.core.runtime.lifespan import resources_from
from src.core.runtime.server import serve
from src.core.settings import SettingsError, load_settings

__all__ = ("SWITCHES", "app_from_env", "main")

VARIABLE: Final = "BENCH_ABLATE"


_AFTER_BUILD: list[Callable[[Litestar], None]] = []  # switches applied to the built app


def _no_access_log() -> None:
    def quiet_edge(app: Litestar) -> None:
        app.asgi_handler._access_log = False  # type: ignore[attr-defined]  # the EdgeMiddleware

    _AFTER_BUILD.append(quiet_edge)


def _no_info_logs() -> None:
    os.environ["LOG_LEVEL"] = "warning"


def _no_request_ids() -> None:
    # Patched by name: the ablation swaps module attributes that the types rightly forbid.
    setattr(edge, "uuid7", lambda: "0")  # noqa: B010
    setattr(edge, "bind_request_id", lambda _: None)  # noqa: B010
    setattr(edge, "unbind_request_id", lambda _: None)  # noqa: B010
    setattr(edge, "_incoming_request_id", lambda _: None)  # noqa: B010


class _NoMetrics:
    __slots__ = ()

    def started(self) -> None:
        return

    def finished(self, *_: object) -> None:
        return


def _no_metrics() -> None:
    setattr(edge, "RequestMetrics", _NoMetrics)  # noqa: B010


def _no_security_headers() -> None:
    def only_ours(self: Any, sent: Iterable[edge.Header]) -> list[edge.Header]:
        headers = [*sent, (b"x-request-id", self._request_id.encode())]
        for extra in self._late.values():
            headers.extend(extra)
        return headers

    edge._Exchange._with_edge_headers = only_ours  # type: ignore[method-assign]


def _no_rate_limit() -> None:
    os.environ["RATE_LIMIT_ENABLED"] = "false"


def _no_auth_on_public_reads() -> None:
    step_for = auth.AuthGate.step_for

    def only_required(self: auth.AuthGate, handler: HTTPRouteHandler) -> Any:
        return step_for(self, handler) if "user" in handler.parsed_fn_signature.parameters else None

    auth.AuthGate.step_for = only_required  # type: ignore[method-assign]


def _no_strict_bodies() -> None:
    body.StrictJsonBodies.step_for = lambda self, handler: None  # type: ignore[method-assign]
    form.StrictFormBodies.step_for = lambda self, handler: None  # type: ignore[method-assign]


def _no_strict_query() -> None:
    parameters.StrictQueryParameters.step_for = lambda self, handler: None  # type: ignore[method-assign]


def _no_read_retry() -> None:
    setattr(src.app, "ReadRetryMiddleware", lambda app: app)  # noqa: B010


def _no_waiting_line() -> None:
    async def straight_to_the_pool(self: database_module.Database, timeout: float) -> Any:
        return await self.pool.acquire(timeout=timeout)

    database_module.Database._take = straight_to_the_pool  # type: ignore[method-assign]
    waiting_line.WaitingLine.give_back = lambda self: None  # type: ignore[method-assign]


def _bare_providers() -> None:
    @asynccontextmanager
    async def bare(request: Request[Any, Any, Any]) -> AsyncGenerator[Any]:
        resources = resources_from(request.app.state)
        assert resources is not None  # noqa: S101 - the benchmark starts requests after start-up
        async with resources.database.pool.acquire() as connection:
            await auth.verify_pending_session(request, connection)
            yield connection

    async def connection(request: Request[Any, Any, Any]) -> AsyncGenerator[Any]:
        async with bare(request) as each:
            yield each

    async def transaction(request: Request[Any, Any, Any]) -> AsyncGenerator[Any]:
        async with bare(request) as each, each.transaction():
            yield each

    bare_dependencies = {
        **dependencies.KERNEL_DEPENDENCIES,
        "connection": Provide(connection),
        "transaction": Provide(transaction),
    }
    setattr(src.app, "KERNEL_DEPENDENCIES", bare_dependencies)  # noqa: B010


def _no_problem_mapping() -> None:
    setattr(src.app, "problem_handlers", lambda settings: {})  # noqa: B010


SWITCHES: Final[dict[str, Callable[[], None]]] = {
    "access_log": _no_access_log,
    "info_logs": _no_info_logs,
    "request_ids": _no_request_ids,
    "metrics": _no_metrics,
    "security_headers": _no_security_headers,
    "rate_limit": _no_rate_limit,
    "auth_public": _no_auth_on_public_reads,
    "strict_body": _no_strict_bodies,
    "strict_query": _no_strict_query,
    "read_retry": _no_read_retry,
    "waiting_line": _no_waiting_line,
    "dependencies": _bare_providers,
    "problem_mapping": _no_problem_mapping,
}


def switched_off(names: Sequence[str]) -> list[str]:
    chosen = list(SWITCHES) if "all" in names else list(names)
    unknown = [name for name in chosen if name not in SWITCHES]
    if unknown:
        raise SystemExit(f"{VARIABLE}: unknown switch {', '.join(unknown)} (known: {', '.join(SWITCHES)}, all)")
    return chosen


def _apply() -> None:
    for name in switched_off([name for name in os.environ.get(VARIABLE, "").split(",") if name]):
        SWITCHES[name]()


def app_from_env() -> Litestar:
    """Granian's factory target in each worker: the switches, then the service's own factory."""
    _apply()
    app = src.app.app_from_env()
    for switch in _AFTER_BUILD:
        switch(app)
    return app


def main() -> int:
    _apply()  # the settings read below see what the switches set
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        return 2
    configure_logging(settings)
    return serve(settings, app_factory="bench.ablated:app_from_env")


if __name__ == "__main__":
    raise SystemExit(main())
