from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.security.roles import Role
from src.features.admin.read_model import Reason

__all__ = ("ChangeRoleRequest",)


class ChangeRoleRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    role: Annotated[Role, Meta(description="The account's new role", examples=["moderator"])]
    reason: Reason
