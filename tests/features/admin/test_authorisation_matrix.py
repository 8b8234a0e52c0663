"""The function-level authorisation matrix (OWASP API5): every staff route, called by each
kind of caller, answers the documented status. The routes come from the app's route table:
a staff route added without its row here fails `test_every_staff_route_has_a_row`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from litestar import Litestar

from src.core.http.auth import required_role
from src.core.security.roles import Role, at_least
from tests.support.accounts import Account, new_account
from tests.support.api_keys import new_api_key
from tests.support.avatars import new_avatar
from tests.support.problems import assert_problem
from tests.support.staff import ADMIN, new_staff, suspend

type Call = tuple[str, str, dict[str, str] | None]


@dataclass
class Targets:
    """Fresh things for one call to act on, made by an admin of their own."""

    client: httpx.AsyncClient
    database_url: str

    async def _admin(self) -> Account:
        return await new_staff(self.client, self.database_url, "admin")

    async def account(self) -> str:
        return (await new_account(self.client)).id

    async def suspended_account(self) -> str:
        account = await new_account(self.client)
        assert (await suspend(self.client, await self._admin(), account)).status_code == 200
        return account.id

    async def avatar(self) -> str:
        return str((await new_avatar(self.client, await new_account(self.client)))["id"])

    async def hidden_avatar(self) -> str:
        avatar = await self.avatar()
        hidden = await self.client.post(
            f"{ADMIN}/avatars/{avatar}/hide", json={"reason": "matrix"}, headers=(await self._admin()).headers
        )
        assert hidden.status_code == 200, hidden.text
        return avatar


@dataclass(frozen=True)
class Row:
    role: Role  # the documented role: this one and those above it
    call: Callable[[Targets], Awaitable[Call]]
    succeeds_with: int


async def _list_accounts(_: Targets) -> Call:
    return "GET", f"{ADMIN}/accounts?role=admin", None


async def _suspend(targets: Targets) -> Call:
    return "POST", f"{ADMIN}/accounts/{await targets.account()}/suspend", {"reason": "matrix"}


async def _reinstate(targets: Targets) -> Call:
    return "POST", f"{ADMIN}/accounts/{await targets.suspended_account()}/reinstate", {"reason": "matrix"}


async def _change_role(targets: Targets) -> Call:
    return "PUT", f"{ADMIN}/accounts/{await targets.account()}/role", {"role": "moderator", "reason": "matrix"}


async def _hide(targets: Targets) -> Call:
    return "POST", f"{ADMIN}/avatars/{await targets.avatar()}/hide", {"reason": "matrix"}


async def _restore(targets: Targets) -> Call:
    return "POST", f"{ADMIN}/avatars/{await targets.hidden_avatar()}/restore", {"reason": "matrix"}


async def _audit_log(_: Targets) -> Call:
    return "GET", f"{ADMIN}/audit-log", None


# operation id -> its row. The documented matrix (docs/authentication.md#roles) is this table.
MATRIX: dict[str, Row] = {
    "listAccounts": Row("moderator", _list_accounts, 200),
    "suspendAccount": Row("admin", _suspend, 200),
    "reinstateAccount": Row("admin", _reinstate, 200),
    "changeAccountRole": Row("admin", _change_role, 200),
    "hideAvatar": Row("moderator", _hide, 200),
    "restoreAvatar": Row("moderator", _restore, 200),
    "listAuditLog": Row("admin", _audit_log, 200),
}
CALLERS = ("anonymous", "user", "moderator", "admin", "suspended admin", "admin's key", "admin's key, no admin scope")


def staff_routes(app: Litestar) -> dict[str, Role]:
    """Every route of the app that requires a role: operation id -> that role."""
    found: dict[str, Role] = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            role = required_role(handler)
            if role is not None:
                found[str(handler.operation_id)] = role
    return found


def test_every_staff_route_has_a_row(app: Litestar) -> None:
    routes = staff_routes(app)
    assert routes, "no route requires a role: the route table was not read"
    assert set(routes) == set(MATRIX), "a staff route without its row in MATRIX, or a row without its route"
    assert {operation: row.role for operation, row in MATRIX.items()} == routes
    # And the other way round: nothing under /admin is open to every signed-in user.
    for route in app.routes:
        if route.path.startswith(ADMIN):
            for handler in getattr(route, "route_handlers", ()):
                if "OPTIONS" not in handler.http_methods:
                    assert required_role(handler) is not None, f"{route.path} requires no role"


async def _caller(kind: str, client: httpx.AsyncClient, database_url: str) -> dict[str, str]:
    if kind == "anonymous":
        return {}
    if kind == "user":
        return (await new_account(client)).headers
    if kind in {"moderator", "admin"}:
        return (await new_staff(client, database_url, kind)).headers  # type: ignore[arg-type]
    if kind.startswith("admin's key"):
        scope = "admin" if kind == "admin's key" else "avatars:write"
        headers, _ = await new_api_key(client, await new_staff(client, database_url, "admin"), scope)
        return headers
    suspended = await new_staff(client, database_url, "admin")
    assert (await suspend(client, await new_staff(client, database_url, "admin"), suspended)).status_code == 200
    return suspended.headers


@pytest.mark.parametrize("operation", sorted(MATRIX))
@pytest.mark.parametrize("caller", CALLERS)
async def test_each_caller_gets_the_documented_status(
    client: httpx.AsyncClient, database_url: str, operation: str, caller: str
) -> None:
    row = MATRIX[operation]
    headers = await _caller(caller, client, database_url)
    method, path, body = await row.call(Targets(client, database_url))

    response = await client.request(method, path, json=body, headers=headers)

    if caller in {"anonymous", "suspended admin"}:
        problem = assert_problem(response, 401, "unauthorized" if caller == "anonymous" else "invalid_token")
        assert "Bearer" in response.headers["www-authenticate"], problem
    elif caller == "admin's key, no admin scope":
        assert_problem(response, 403, "insufficient_scope")
        assert 'scope="admin"' in response.headers["www-authenticate"]
    elif caller == "admin's key" or at_least(caller, row.role):  # type: ignore[arg-type]
        assert response.status_code == row.succeeds_with, response.text
    else:
        assert_problem(response, 403, "insufficient_role")
