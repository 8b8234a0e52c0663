from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Connection
from src.core.http.problems import problem_responses
from src.features.auth.log_out.command import LogOut
from src.features.auth.log_out.handler import log_out
from src.features.auth.log_out.schema import LogOutRequest

__all__ = ("log_out_route",)


@post(
    "/logout",
    operation_id="logOut",
    summary="End the session of a refresh token",
    description="Revokes the session (every token of its family). 204 whether or not the token was known.",
    status_code=204,
    responses=problem_responses(400, 413, 415),
)
async def log_out_route(data: JSONBody[LogOutRequest], transaction: NamedDependency[Connection]) -> None:
    await log_out(LogOut(refresh_token=data.refresh_token), transaction=transaction)
