from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.problems import problem_responses
from src.core.runtime.mail import Mailer
from src.core.security.passwords import PasswordHasher
from src.core.text import check_password_size
from src.features.auth.reset_password.command import ResetPassword
from src.features.auth.reset_password.handler import reset_password
from src.features.auth.reset_password.schema import ResetPasswordRequest

__all__ = ("reset_password_route",)


@post(
    "/password-reset/confirm",
    operation_id="confirmPasswordReset",
    summary="Set a new password with a reset link's token",
    description="The token comes from the link of `POST /auth/password-reset`; it works once, before it "
    "expires (400 `reset_token_invalid` otherwise, also for a verification link's token). The new password "
    "follows the sign-up rules (400 `weak_password`; the token stays usable). Every session of the account "
    "ends, its other reset links stop working, and its address is told. Rate limited by the strict `auth` "
    "policy.",
    status_code=204,
    opt={"rate_limit": "auth"},
    responses=problem_responses(400, 413, 415),
)
async def reset_password_route(
    data: JSONBody[ResetPasswordRequest],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    mail: NamedDependency[Mailer],
) -> None:
    check_password_size(data.new_password, pointer="#/new_password")
    command = ResetPassword(token=data.token, new_password=data.new_password)
    await reset_password(command, database=database, passwords=passwords, mail=mail)
