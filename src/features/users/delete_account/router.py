from __future__ import annotations

from litestar import delete
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.auth import BEARER_SECURITY, Principal
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.features.users.delete_account.command import DeleteAccount
from src.features.users.delete_account.handler import delete_account
from src.features.users.delete_account.schema import DeleteAccountRequest

__all__ = ("delete_account_route",)


@delete(
    "/me",
    operation_id="deleteMyAccount",
    summary="Delete your account",
    description="Needs the current password in the body (403 `wrong_password`; wrong ones count against the "
    "account's budget of failed logins). Ends every session at once. The e-mail address can be used for a new "
    "account.",
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def delete_account_route(
    data: JSONBody[DeleteAccountRequest],
    user: NamedDependency[Principal],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    password_checks: NamedDependency[PasswordChecks],
) -> None:
    command = DeleteAccount(user_id=user.user_id, current_password=data.current_password)
    await delete_account(command, database=database, passwords=passwords, password_checks=password_checks)
