"""Roles: what a signed-in account may do beyond its own things.

`user` is everyone; a `moderator` may also read accounts and hide or restore avatars; an
`admin` may also suspend accounts, change roles and read the audit log. Each role may do
what those before it in `ROLES` may. The role lives in the database (`users.role`) and is
read there on every request that needs one (`core.http.auth`), never from a token.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = ("ROLES", "Role", "at_least")

type Role = Literal["user", "moderator", "admin"]
ROLES: Final[tuple[Role, ...]] = ("user", "moderator", "admin")
_RANK: Final = {role: rank for rank, role in enumerate(ROLES)}


def at_least(held: Role, needed: Role) -> bool:
    """Whether holding `held` allows what `needed` allows."""
    return _RANK[held] >= _RANK[needed]
