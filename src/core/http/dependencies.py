"""Dependency providers: how route handlers receive the worker's shared resources.

Registered once on the app (`src.app`), declared by name in a route's signature:

    async def route(connection: NamedDependency[Connection]) -> ...    # reads
    async def route(transaction: NamedDependency[Connection]) -> ...   # writes: one transaction
    async def route(database: NamedDependency[Database]) -> ...        # handlers that call the network
    async def route(http: NamedDependency[aiohttp.ClientSession]) -> ...   # outbound calls a user waits for
    async def route(mail: NamedDependency[Mailer]) -> ...               # queue e-mail in the transaction
    async def route(user: NamedDependency[Principal]) -> ...            # see core.http.auth

`transaction` commits when the handler (and the response serialisation) succeeded and
rolls back when anything raised; handlers never commit. A handler that makes an HTTP
call takes `database` and acquires briefly, so no transaction is held across the call.

`resolve_one_at_a_time(app)` runs once the app is built: Litestar resolves the
dependencies of one level concurrently, in an anyio task group made for each request,
which for ours (in-memory values and one pool acquire) only costs: it was a fifth of the
CPU of `GET /api/v1/avatars/{id}`. Plain providers then run before generator ones, so a
plain one that raises never leaves a connection behind.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Any, Final

import aiohttp
from litestar import Litestar, Request
from litestar.datastructures import State
from litestar.di import Provide
from litestar.routes import HTTPRoute

from src.core.data.database import Connection, Database
from src.core.data.pagination import CursorCodec
from src.core.errors import ServiceUnavailable
from src.core.http.auth import AUTH_DEPENDENCIES, verify_pending_session
from src.core.runtime.background import BackgroundTasks
from src.core.runtime.lifespan import Resources, resources_from
from src.core.runtime.mail import Mailer
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.rate_counters import RateCounter
from src.core.runtime.second_factor import SecondFactor
from src.core.security.api_keys import VerifiedKeys
from src.core.security.keys import SigningKeys
from src.core.security.outbound import OutboundGuard
from src.core.security.passwords import PasswordHasher
from src.core.security.sealing import Sealer
from src.core.security.tokens import TokenService
from src.core.settings import Settings

__all__ = ("KERNEL_DEPENDENCIES", "require_resources", "resolve_one_at_a_time")


def require_resources(state: State) -> Resources:
    resources = resources_from(state)
    if resources is None:
        raise ServiceUnavailable("The service is still starting.", dependency="startup", code="starting")
    return resources


def provide_database(state: State) -> Database:
    return require_resources(state).database


def provide_http(state: State) -> aiohttp.ClientSession:
    return require_resources(state).http


def provide_tasks(state: State) -> BackgroundTasks:
    return require_resources(state).tasks


def provide_settings(state: State) -> Settings:
    return require_resources(state).settings


def provide_tokens(state: State) -> TokenService:
    return require_resources(state).tokens


def provide_signing_keys(state: State) -> SigningKeys:
    return require_resources(state).keys


def provide_passwords(state: State) -> PasswordHasher:
    return require_resources(state).passwords


def provide_cursors(state: State) -> CursorCodec:
    return require_resources(state).cursors


def provide_outbound(state: State) -> OutboundGuard:
    return require_resources(state).outbound


def provide_rate_counter(state: State) -> RateCounter:
    return require_resources(state).rate_counter


def provide_verified_keys(state: State) -> VerifiedKeys:
    return require_resources(state).api_keys


def provide_mail(state: State) -> Mailer:
    return require_resources(state).mail


def provide_password_checks(state: State) -> PasswordChecks:
    return require_resources(state).password_checks


def provide_sealer(state: State) -> Sealer:
    return require_resources(state).sealer


def provide_second_factor(state: State) -> SecondFactor:
    return require_resources(state).second_factor


# Generators: clean-up (release, commit or roll back) runs after the response is built.
# A session check for the request's user runs here, on this connection, before the
# yield: an error raised before the yield releases the connection (see core.http.auth).
async def provide_connection(request: Request[Any, Any, Any]) -> AsyncGenerator[Connection]:
    async with require_resources(request.app.state).database.acquire() as connection:
        await verify_pending_session(request, connection)
        yield connection


async def provide_transaction(request: Request[Any, Any, Any]) -> AsyncGenerator[Connection]:
    async with require_resources(request.app.state).database.acquire() as connection, connection.transaction():
        await verify_pending_session(request, connection)
        yield connection


KERNEL_DEPENDENCIES: Final[Mapping[str, Provide]] = {
    "database": Provide(provide_database, sync_to_thread=False),
    "http": Provide(provide_http, sync_to_thread=False),
    "tasks": Provide(provide_tasks, sync_to_thread=False),
    "settings": Provide(provide_settings, sync_to_thread=False),
    "tokens": Provide(provide_tokens, sync_to_thread=False),
    "passwords": Provide(provide_passwords, sync_to_thread=False),
    "signing_keys": Provide(provide_signing_keys, sync_to_thread=False),
    "cursors": Provide(provide_cursors, sync_to_thread=False),
    "verified_keys": Provide(provide_verified_keys, sync_to_thread=False),
    "rate_counter": Provide(provide_rate_counter, sync_to_thread=False),
    "password_checks": Provide(provide_password_checks, sync_to_thread=False),
    "outbound": Provide(provide_outbound, sync_to_thread=False),
    "sealer": Provide(provide_sealer, sync_to_thread=False),
    "second_factor": Provide(provide_second_factor, sync_to_thread=False),
    "mail": Provide(provide_mail, sync_to_thread=False),
    "connection": Provide(provide_connection),
    "transaction": Provide(provide_transaction),
    **AUTH_DEPENDENCIES,
}


def resolve_one_at_a_time(app: Litestar) -> None:
    """Every route's dependencies in one-element batches, which Litestar awaits in turn
    (see the module docstring). tests/core/http/test_dependencies.py fails if an upgrade
    changes how batches are resolved."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for _, kwargs_model in route.route_handler_map.values():
            kwargs_model.dependency_batches = [
                {dependency}
                for batch in kwargs_model.dependency_batches
                for dependency in sorted(batch, key=_generators_last)
            ]


def _generators_last(dependency: Any) -> tuple[bool, str]:
    provide: Provide = dependency.provide
    return provide.has_sync_generator_dependency or provide.has_async_generator_dependency, dependency.key
