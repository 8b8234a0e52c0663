from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.text import check_password_size
from src.features.users.change_password.command import ChangePassword
from src.features.users.change_password.handler import change_password
from src.features.users.change_password.schema import ChangePasswordRequest

__all__ = ("change_password_route",)


@post(
    "/me/password",
    operation_id="changeMyPassword",
    summary="Change your password",
    description="Needs the current password (403 `wrong_password`; wrong ones count against the account's "
    "budget of failed logins, 429 `too_many_failed_logins` past it). Every other session ends.",
    status_code=204,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def change_password_route(
    data: JSONBody[ChangePasswordRequest],
    user: NamedDependency[SessionPrincipal],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    password_checks: NamedDependency[PasswordChecks],
) -> None:
    check_password_size(data.new_password, pointer="#/new_password")
    command = ChangePassword(
        user_id=user.user_id,
        session_id=user.session_id,
        current_password=data.current_password,
        new_password=data.new_password,
    )
    await change_password(command, database=database, passwords=passwords, password_checks=password_checks)
