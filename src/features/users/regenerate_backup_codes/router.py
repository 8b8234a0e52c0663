from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.features.users.read_model import BackupCodes
from src.features.users.regenerate_backup_codes.command import RegenerateBackupCodes
from src.features.users.regenerate_backup_codes.handler import regenerate_backup_codes
from src.features.users.regenerate_backup_codes.schema import RegenerateBackupCodesRequest

__all__ = ("regenerate_backup_codes_route",)


@post(
    "/me/mfa/backup-codes",
    operation_id="regenerateBackupCodes",
    summary="New backup codes (the old ones stop working)",
    description="Needs a code (TOTP or a backup code; 403 `wrong_mfa_code` otherwise, counted against the "
    "account's budget of failed logins). Answers ten new one-time codes, shown this once; every earlier backup "
    "code stops working. 409 `mfa_not_enabled` without two-factor sign-in on. A session's access token only.",
    status_code=200,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 409, 413, 415),
)
async def regenerate_backup_codes_route(
    data: JSONBody[RegenerateBackupCodesRequest],
    user: NamedDependency[SessionPrincipal],
    database: NamedDependency[Database],
    password_checks: NamedDependency[PasswordChecks],
    second_factor: NamedDependency[SecondFactor],
) -> BackupCodes:
    command = RegenerateBackupCodes(user_id=user.user_id, code=data.code)
    return await regenerate_backup_codes(
        command, database=database, password_checks=password_checks, second_factor=second_factor
    )
