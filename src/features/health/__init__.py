"""Operational probes for orchestrators and load balancers (outside `/api/v1`).

- liveness: the process answers; touches no dependency, so a database outage never
  gets a healthy process restarted;
- readiness: this worker can serve traffic now (database reachable, migrations at head);
- startup: the worker finished starting (pool open, migrations applied).

Liveness and startup have no use-case logic, hence no command or handler module.
"""

from litestar import Router
from litestar.datastructures import CacheControlHeader

from src.features.health.check_liveness.router import check_liveness_route
from src.features.health.check_readiness.router import check_readiness_route
from src.features.health.check_startup.router import check_startup_route

__all__ = ("router",)

router = Router(
    path="/health",
    tags=["health"],
    # Probes must never be answered from a cache.
    cache_control=CacheControlHeader(no_store=True),
    # Orchestrators probe often and from few addresses: never rate limited.
    opt={"skip_rate_limit": True},
    route_handlers=[check_liveness_route, check_readiness_route, check_startup_route],
)
