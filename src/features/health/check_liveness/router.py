from __future__ import annotations

from litestar import get

from src.core.http.problems import problem_response
from src.features.health.check_liveness.schema import LivenessResponse

__all__ = ("check_liveness_route",)

_ALIVE = LivenessResponse()


@get(
    "/live",
    operation_id="checkLiveness",
    summary="Liveness probe",
    description="200 while the process can answer. Touches no dependency.",
    responses={400: problem_response(400), 500: problem_response(500)},
)
async def check_liveness_route() -> LivenessResponse:
    return _ALIVE
