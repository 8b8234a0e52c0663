"""Dependencies resolve one at a time, plain providers before the ones that take a connection."""

from __future__ import annotations

from litestar import Router, get
from litestar.di import NamedDependency, Provide
from litestar.routes import HTTPRoute

from src.app import create_app
from src.core.data.database import Connection
from src.core.errors import Conflict
from src.core.runtime.lifespan import resources_from
from src.core.settings import Settings
from tests.support.http import running_app


def refuse() -> str:
    raise Conflict("This dependency refuses on purpose.")


@get("/refused", dependencies={"refusal": Provide(refuse, sync_to_thread=False)})
async def refused(connection: NamedDependency[Connection], refusal: NamedDependency[str]) -> str:
    return str(await connection.fetchval("SELECT 1")) + refusal


refusal_router = Router(path="/deps", route_handlers=[refused])


def test_every_route_resolves_its_dependencies_in_one_element_batches(settings: Settings) -> None:
    app = create_app(settings)
    checked = 0
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, kwargs_model in route.route_handler_map.values():
            assert all(len(batch) == 1 for batch in kwargs_model.dependency_batches), handler.handler_name
            checked += len(kwargs_model.dependency_batches)
    assert checked > 50  # every slice's dependencies were looked at


def test_plain_providers_come_before_generators(settings: Settings) -> None:
    app = create_app(settings)
    (route,) = [r for r in app.routes if isinstance(r, HTTPRoute) and r.path == "/api/v1/avatars/{avatar_id:uuid}"]
    _, kwargs_model = route.route_handler_map["GET"]
    assert [next(iter(batch)).key for batch in kwargs_model.dependency_batches] == ["viewer", "connection"]


async def test_a_plain_provider_that_refuses_never_takes_a_connection(settings: Settings) -> None:
    app = create_app(settings, features=[refusal_router], jobs=())  # no job holds a connection meanwhile
    async with running_app(app) as client:
        responses = [await client.get("/api/v1/deps/refused") for _ in range(12)]
        resources = resources_from(app.state)
        assert resources is not None
        stats = resources.database.stats()

    assert {response.status_code for response in responses} == {409}
    assert stats["idle"] == stats["size"]  # every connection is back in the pool
