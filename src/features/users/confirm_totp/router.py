from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.features.users.confirm_totp.command import ConfirmTotp
from src.features.users.confirm_totp.handler import confirm_totp
from src.features.users.confirm_totp.schema import ConfirmTotpRequest
from src.features.users.read_model import BackupCodes

__all__ = ("confirm_totp_route",)


@post(
    "/me/mfa/totp/confirm",
    operation_id="confirmTotp",
    summary="Turn two-factor sign-in on with a code from the app",
    description="The code your authenticator app shows for the secret of `POST /users/me/mfa/totp` (403 "
    "`wrong_mfa_code` otherwise; wrong ones count against the account's budget of failed logins). From now on "
    "logins ask for a code. Answers ten backup codes, shown this once: each signs in once instead of a code. "
    "409 `mfa_not_pending` without an enrolment to confirm. A session's access token only.",
    status_code=200,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 409, 413, 415),
)
async def confirm_totp_route(
    data: JSONBody[ConfirmTotpRequest],
    user: NamedDependency[SessionPrincipal],
    database: NamedDependency[Database],
    password_checks: NamedDependency[PasswordChecks],
    second_factor: NamedDependency[SecondFactor],
) -> BackupCodes:
    command = ConfirmTotp(user_id=user.user_id, code=data.code)
    return await confirm_totp(command, database=database, password_checks=password_checks, second_factor=second_factor)
