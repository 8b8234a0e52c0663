from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.rows import from_row
from src.core.errors import NotFound
from src.core.text import tidy
from src.features.users.read_model import Profile
from src.features.users.update_profile.command import UpdateProfile
from src.features.users.update_profile.queries import UPDATE_PROFILE

__all__ = ("update_profile",)


async def update_profile(command: UpdateProfile, *, transaction: Connection) -> Profile:
    display_name = tidy(command.display_name) if command.display_name is not None else None
    row = await transaction.fetchrow(UPDATE_PROFILE, command.user_id, display_name)
    if row is None:
        raise NotFound("This account no longer exists.")
    return from_row(Profile, row)
