from __future__ import annotations

from uuid import UUID

from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from src.core.data.database import Connection
from src.core.http.auth import Actor, bearer_security, requires_role
from src.core.http.problems import problem_responses
from src.features.admin.read_model import AccountView
from src.features.admin.suspend_account.command import SuspendAccount
from src.features.admin.suspend_account.handler import suspend_account
from src.features.admin.suspend_account.schema import SuspendAccountRequest

__all__ = ("suspend_account_route",)


@post(
    "/accounts/{account_id:uuid}/suspend",
    operation_id="suspendAccount",
    summary="Suspend an account (admins)",
    description="It cannot sign in (403 `account_suspended`), its sessions end at once (its tokens are 401 on "
    "their next request, on every instance), and its avatars are hidden from everyone else. 409 "
    "`already_suspended`, or `cannot_suspend_self`. Audited with the reason.",
    status_code=200,
    security=bearer_security("admin"),
    opt=requires_role("admin"),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def suspend_account_route(
    account_id: FromPath[UUID],
    data: JSONBody[SuspendAccountRequest],
    actor: NamedDependency[Actor],
    transaction: NamedDependency[Connection],
) -> AccountView:
    command = SuspendAccount(
        account_id=account_id, reason=data.reason, actor_id=actor.user_id, actor_credential=actor.credential
    )
    return await suspend_account(command, transaction=transaction)
