from __future__ import annotations

from src.core.data.pagination import Page
from src.features.admin.read_model import AccountView

__all__ = ("AccountsPage",)


class AccountsPage(Page[AccountView], frozen=True):
    """A page of accounts, newest first (`data` restated: OpenAPI does not resolve a generic base)."""

    data: list[AccountView]
