from __future__ import annotations

from litestar import delete
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.http.auth import BEARER_SECURITY, Principal
from src.core.http.problems import problem_responses
from src.features.users.delete_account.command import DeleteAccount
from src.features.users.delete_account.handler import delete_account

__all__ = ("delete_account_route",)


@delete(
    "/me",
    operation_id="deleteMyAccount",
    summary="Delete your account",
    description="Ends every session at once. The e-mail address can be used for a new account.",
    security=BEARER_SECURITY,
    responses=problem_responses(401),
)
async def delete_account_route(user: NamedDependency[Principal], transaction: NamedDependency[Connection]) -> None:
    await delete_account(DeleteAccount(user.user_id), transaction=transaction)
