"""The admin feature's read models: an account as staff see it, an audit entry, a reason.

Shared by this feature's slices only (the import contracts allow a feature's `read_model`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Literal
from uuid import UUID

import asyncpg
import msgspec
from msgspec import Meta

from src.core.security.roles import Role
from src.core.text import TEXT_PATTERN

__all__ = (
    "SELECT_ACCOUNT",
    "AccountState",
    "AccountView",
    "ActorRole",
    "AuditAction",
    "AuditEntry",
    "ModeratedAvatar",
    "Reason",
    "account_view",
    "moderation_event",
)

type AccountState = Literal["active", "suspended"]

# Why a moderator or an admin acted: kept in the audit log, shown to the staff.
type Reason = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=500,
        pattern=TEXT_PATTERN,
        description="Why: kept in the audit log; no control characters but tabs and line breaks",
        examples=["Spam, reported twice"],
    ),
]

# One account as staff see it; every account query selects these columns, for `account_view`.
SELECT_ACCOUNT: Final = """
SELECT u.id, u.email, u.display_name, u.role, u.created_at, u.suspended_at, u.suspension_reason,
       (SELECT count(*) FROM avatars a WHERE a.owner_id = u.id AND a.deleted_at IS NULL) AS avatars_count
FROM users u
WHERE u.id = $1 AND u.deleted_at IS NULL
"""


class AccountView(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    email: Annotated[str, Meta(examples=["ada@example.com"])]
    display_name: str
    role: Annotated[Role, Meta(description="user, moderator or admin")]
    state: Annotated[AccountState, Meta(description="suspended: cannot sign in, its avatars hidden from others")]
    suspended_at: datetime | None
    suspension_reason: str | None
    avatars_count: Annotated[int, Meta(ge=0, description="Live avatars it owns")]
    created_at: datetime


def account_view(row: asyncpg.Record) -> AccountView:
    return AccountView(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        role=row["role"],
        state="suspended" if row["suspended_at"] is not None else "active",
        suspended_at=row["suspended_at"],
        suspension_reason=row["suspension_reason"],
        avatars_count=row["avatars_count"],
        created_at=row["created_at"],
    )


type ActorRole = Literal["moderator", "admin", "operator"]
type AuditAction = Literal[
    "account.suspended", "account.reinstated", "account.role_changed", "avatar.hidden", "avatar.restored"
]


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    occurred_at: datetime
    actor_id: Annotated[UUID | None, Meta(description="Who acted; null: an operator at the command line")]
    actor_role: Annotated[ActorRole, Meta(description="The role they acted with (operator: the command line)")]
    action: AuditAction
    target_type: Literal["account", "avatar"]
    target_id: UUID
    reason: str | None
    details: Annotated[dict[str, Any], Meta(description='What changed, e.g. {"from": "user", "to": "moderator"}')]
    request_id: Annotated[str | None, Meta(description="The request that did it (X-Request-ID); null from the CLI")]


class ModeratedAvatar(msgspec.Struct, frozen=True, kw_only=True):
    """An avatar as a moderator acts on it (not the public view: it may be hidden)."""

    id: UUID
    owner_id: UUID
    name: str
    hidden: bool
    hidden_at: datetime | None
    hidden_reason: str | None


def moderation_event(avatar: ModeratedAvatar, reason: str) -> dict[str, object]:
    """The `data` of `avatar.hidden` and `avatar.restored`: what and why, told to the owner
    (not by whom)."""
    return {"avatar": {"id": avatar.id, "name": avatar.name}, "reason": reason}
