"""`GET /metrics`: the Prometheus text format, outside the API and its rate limits.

Routed on the API's port only while METRICS_PORT is unset; with it, the lifespan serves
the same registry on that port (`core.observability.metrics.listen_for_scrapes`)."""

from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from src.core.observability.metrics import METRICS_PATH, record_pool, registry
from src.core.runtime.lifespan import resources_from

__all__ = ("metrics_route",)


@get(METRICS_PATH, include_in_schema=False, opt={"skip_rate_limit": True}, sync_to_thread=False)
def metrics_route(state: State) -> Response[bytes]:
    if (resources := resources_from(state)) is not None:
        record_pool(resources.database)  # fresh for the worker that answers this scrape
    # As a header, not media_type: Litestar would append a second charset to text/plain.
    return Response(generate_latest(registry()), headers={"Content-Type": CONTENT_TYPE_LATEST})
