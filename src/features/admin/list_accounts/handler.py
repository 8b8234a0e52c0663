"""Accounts for staff to find: newest first, by e-mail prefix, role and state."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.pagination import PageResult
from src.features.admin.list_accounts.command import ListAccounts
from src.features.admin.list_accounts.queries import LIST_ACCOUNTS
from src.features.admin.read_model import AccountView, account_view

__all__ = ("list_accounts",)


async def list_accounts(command: ListAccounts, *, connection: Connection) -> PageResult[AccountView]:
    page = command.page
    rows = await connection.fetch(
        LIST_ACCOUNTS, *page.position, page.fetch_size, command.email_prefix, command.role, command.state
    )
    return page.result(rows, item=account_view)
