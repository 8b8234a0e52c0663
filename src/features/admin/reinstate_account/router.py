from __future__ import annotations

from uuid import UUID

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from src.core.data.database import Connection
from src.core.http.auth import Actor, bearer_security, requires_role
from src.core.http.problems import problem_responses
from src.features.admin.read_model import AccountView
from src.features.admin.reinstate_account.command import ReinstateAccount
from src.features.admin.reinstate_account.handler import reinstate_account
from src.features.admin.reinstate_account.schema import ReinstateAccountRequest

__all__ = ("reinstate_account_route",)


@post(
    "/accounts/{account_id:uuid}/reinstate",
    operation_id="reinstateAccount",
    summary="Reinstate a suspended account (admins)",
    description="It may sign in again (the sessions its suspension ended stay ended) and its avatars are seen "
    "again. 409 `not_suspended`. Audited with the reason.",
    status_code=200,
    security=bearer_security("admin"),
    opt=requires_role("admin"),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def reinstate_account_route(
    account_id: FromPath[UUID],
    data: JSONBody[ReinstateAccountRequest],
    actor: NamedDependency[Actor],
    transaction: NamedDependency[Connection],
) -> AccountView:
    command = ReinstateAccount(
        account_id=account_id, reason=data.reason, actor_id=actor.user_id, actor_credential=actor.credential
    )
    return await reinstate_account(command, transaction=transaction)
