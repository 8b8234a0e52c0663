from __future__ import annotations

from litestar import delete
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.passwords import PasswordHasher
from src.features.users.disable_totp.command import DisableTotp
from src.features.users.disable_totp.handler import disable_totp
from src.features.users.disable_totp.schema import DisableTotpRequest

__all__ = ("disable_totp_route",)


@delete(
    "/me/mfa/totp",
    operation_id="disableTotp",
    summary="Turn two-factor sign-in off",
    description="Needs the current password and a code (a TOTP code or a backup code) in the body: 403 "
    "`wrong_password` or `wrong_mfa_code`, each counted against the account's budget of failed logins. The "
    "secret and the backup codes are deleted; logins ask for the password only. 409 `mfa_not_enabled` when it "
    "is not on. A session's access token only.",
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def disable_totp_route(
    data: JSONBody[DisableTotpRequest],
    user: NamedDependency[SessionPrincipal],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    password_checks: NamedDependency[PasswordChecks],
    second_factor: NamedDependency[SecondFactor],
) -> None:
    command = DisableTotp(user_id=user.user_id, current_password=data.current_password, code=data.code)
    await disable_totp(
        command,
        database=database,
        passwords=passwords,
        password_checks=password_checks,
        second_factor=second_factor,
    )
