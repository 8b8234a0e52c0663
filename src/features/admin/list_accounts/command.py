from __future__ import annotations

import msgspec

from src.core.data.pagination import PageRequest
from src.core.security.roles import Role
from src.features.admin.read_model import AccountState

__all__ = ("ListAccounts",)


class ListAccounts(msgspec.Struct, frozen=True, kw_only=True):
    email_prefix: str | None
    """Lower-cased; accounts whose address starts with it."""
    role: Role | None
    state: AccountState | None
    page: PageRequest
