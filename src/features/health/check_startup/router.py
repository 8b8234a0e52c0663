from __future__ import annotations

from litestar import Response, get
from litestar.datastructures import State
from litestar.openapi.datastructures import ResponseSpec

from src.core.http.problems import problem_response
from src.core.runtime.lifespan import resources_from
from src.features.health.check_startup.schema import StartupResponse

__all__ = ("check_startup_route",)

_STARTED = StartupResponse(status="ok")
_STARTING = StartupResponse(status="starting")


@get(
    "/startup",
    operation_id="checkStartup",
    summary="Start-up probe",
    description="200 once this worker has opened its database pool and applied migrations; 503 before.",
    responses={
        400: problem_response(400),
        500: problem_response(500),
        503: ResponseSpec(data_container=StartupResponse, description="Still starting"),
    },
)
async def check_startup_route(state: State) -> Response[StartupResponse]:
    if resources_from(state) is None:
        return Response(_STARTING, status_code=503)
    return Response(_STARTED)
