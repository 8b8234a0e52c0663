from __future__ import annotations

from uuid import UUID

from litestar import put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from src.core.data.database import Connection
from src.core.http.auth import Actor, bearer_security, requires_role
from src.core.http.problems import problem_responses
from src.features.admin.change_role.command import ChangeRole
from src.features.admin.change_role.handler import change_role
from src.features.admin.change_role.schema import ChangeRoleRequest
from src.features.admin.read_model import AccountView

__all__ = ("change_role_route",)


@put(
    "/accounts/{account_id:uuid}/role",
    operation_id="changeAccountRole",
    summary="Change an account's role (admins)",
    description="user, moderator or admin; takes effect on the account's next request, on every instance. "
    "409 `last_admin` for the last active admin. Setting the role it has changes nothing and is not audited; "
    "a change is, with the reason.",
    security=bearer_security("admin"),
    opt=requires_role("admin"),
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def change_role_route(
    account_id: FromPath[UUID],
    data: JSONBody[ChangeRoleRequest],
    actor: NamedDependency[Actor],
    transaction: NamedDependency[Connection],
) -> AccountView:
    command = ChangeRole(
        account_id=account_id,
        role=data.role,
        reason=data.reason,
        actor_id=actor.user_id,
        actor_credential=actor.credential,
    )
    return (await change_role(command, transaction=transaction)).account
