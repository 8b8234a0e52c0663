"""Staff for tests: roles granted as an operator would (`api users grant` runs the same
handler), accounts suspended through the admin API."""

from __future__ import annotations

from uuid import UUID

import asyncpg
import httpx

from src.core.security.roles import Role
from src.features.admin.change_role.command import ChangeRole
from src.features.admin.change_role.handler import change_role
from tests.support.accounts import Account, new_account

__all__ = ("ADMIN", "grant", "new_staff", "suspend")

ADMIN = "/api/v1/admin"


async def grant(database_url: str, account: Account, role: Role) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        async with connection.transaction():
            command = ChangeRole(account_id=UUID(account.id), role=role, reason="granted by a test", actor_id=None)
            await change_role(command, transaction=connection)
    finally:
        await connection.close()


async def new_staff(client: httpx.AsyncClient, database_url: str, role: Role) -> Account:
    account = await new_account(client, display_name=role.title())
    await grant(database_url, account, role)
    return account


async def suspend(client: httpx.AsyncClient, admin: Account, account: Account, reason: str = "Spam") -> httpx.Response:
    return await client.post(f"{ADMIN}/accounts/{account.id}/suspend", json={"reason": reason}, headers=admin.headers)
