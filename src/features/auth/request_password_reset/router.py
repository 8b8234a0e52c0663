from __future__ import annotations

from litestar import Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.problems import problem_responses
from src.core.runtime.mail import Mailer
from src.core.runtime.rate_counters import RateCounter
from src.core.settings import Settings
from src.features.auth.request_password_reset.command import RequestPasswordReset
from src.features.auth.request_password_reset.handler import request_password_reset
from src.features.auth.request_password_reset.schema import PasswordResetRequest, PasswordResetRequested

__all__ = ("request_password_reset_route",)


@post(
    "/password-reset",
    operation_id="requestPasswordReset",
    summary="E-mail a password reset link",
    description="Always 202, in the same time, whether or not an account has the address: if one does, a "
    "single-use link valid `PASSWORD_RESET_TTL_SECONDS` goes to it. At most `RATE_LIMIT_EMAIL` links per "
    "address (past it: still 202, nothing sent); rate limited per client by the strict `auth` policy.",
    status_code=202,
    opt={"rate_limit": "auth"},
    responses=problem_responses(400, 413, 415),
)
async def request_password_reset_route(
    data: JSONBody[PasswordResetRequest],
    database: NamedDependency[Database],
    mail: NamedDependency[Mailer],
    rate_counter: NamedDependency[RateCounter],
    settings: NamedDependency[Settings],
) -> Response[PasswordResetRequested]:
    await request_password_reset(
        RequestPasswordReset(email=data.email),
        database=database,
        mail=mail,
        rate_counter=rate_counter,
        settings=settings,
    )
    return Response(PasswordResetRequested(), status_code=202)
