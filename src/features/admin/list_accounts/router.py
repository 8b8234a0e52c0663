from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import FromQuery, QueryParameter

from src.core.data.database import Connection
from src.core.data.pagination import DEFAULT_LIMIT, CursorCodec
from src.core.http.auth import Actor, bearer_security, requires_role
from src.core.http.paging import CursorParam, LimitParam
from src.core.http.problems import problem_responses
from src.core.security.roles import Role
from src.core.text import END, normalize_email
from src.features.admin.list_accounts.command import ListAccounts
from src.features.admin.list_accounts.handler import list_accounts
from src.features.admin.list_accounts.schema import AccountsPage
from src.features.admin.read_model import AccountState

__all__ = ("list_accounts_route",)

# Not nullable, as `cursor`: empty is "every address", which is what `?email_prefix=` sends.
EmailPrefix = Annotated[
    str,
    QueryParameter(
        max_length=254,
        pattern=rf"^[^\x00-\x1f\x7f]*{END}",
        description="Accounts whose e-mail address starts with this (any case); empty: every address",
        examples=[Example(value="ada@")],
    ),
]


@get(
    "/accounts",
    operation_id="listAccounts",
    summary="Find accounts (moderators and admins)",
    description="Live accounts, newest first, cursor-paginated; filter by the start of the e-mail address "
    "(case-insensitive), by role and by state.",
    security=bearer_security("admin"),
    opt=requires_role("moderator"),
    responses=problem_responses(400, 401, 403),
)
async def list_accounts_route(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    email_prefix: EmailPrefix = "",
    role: FromQuery[Role | None] = None,
    account_state: Annotated[
        AccountState | None, QueryParameter(name="state", description="active or suspended")
    ] = None,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> AccountsPage:
    prefix = normalize_email(email_prefix) if email_prefix else None
    pagination = cursors.paginate(
        request.url.path,
        scope="admin.accounts",
        filters={"email_prefix": prefix, "role": role, "state": account_state},
        limit=limit,
        cursor=cursor,
    )
    command = ListAccounts(email_prefix=prefix, role=role, state=account_state, page=pagination.request)
    return pagination.page(AccountsPage, await list_accounts(command, connection=connection))
