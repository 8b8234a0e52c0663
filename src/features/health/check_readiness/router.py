from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from src.core.http.problems import problem_response
from src.core.observability.metrics import record_readiness
from src.core.runtime.lifespan import resources_from
from src.features.health.check_readiness.command import CheckReadiness
from src.features.health.check_readiness.handler import check_readiness, is_ready
from src.features.health.check_readiness.schema import ReadinessResponse

__all__ = ("check_readiness_route",)

_NOT_STARTED = ReadinessResponse(status="unavailable", checks={"startup": "not_started"})


@get(
    "/ready",
    operation_id="checkReadiness",
    summary="Readiness probe",
    description=(
        "200 when this worker can serve traffic: the database answers within the readiness timeout "
        "and every migration of this release is applied. 503 names the failing check. With Redis "
        "configured, its state is reported too; it fails readiness only when READINESS_REQUIRES_REDIS is set."
    ),
    responses={
        400: problem_response(400),
        500: problem_response(500),
        503: ResponseSpec(data_container=ReadinessResponse, description="Not ready; the failing check is named"),
    },
)
async def check_readiness_route(state: State) -> Response[ReadinessResponse]:
    resources = resources_from(state)
    if resources is None:
        return Response(_NOT_STARTED, status_code=503)
    command = CheckReadiness(
        timeout=resources.settings.readiness_timeout,
        migrations=resources.migrations,
        redis_required=resources.settings.readiness_requires_redis,
    )
    checks = await check_readiness(command, database=resources.database, redis=resources.redis)
    ready = is_ready(command, checks)
    record_readiness(ready)  # flapping is alerted on (deploy/monitoring/alerts.yaml)
    headers = None if ready else {"Retry-After": str(resources.settings.retry_after_seconds)}
    return Response(
        ReadinessResponse(status="ok" if ready else "unavailable", checks=checks),
        status_code=200 if ready else 503,
        headers=headers,
    )
