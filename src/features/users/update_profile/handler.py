from __future__ import annotations

from src.core.database import Connection
from src.core.errors import NotFound
from src.features.users.read_model import Profile
from src.features.users.update_profile.command import UpdateProfile
from src.features.users.update_profile.queries import UPDATE_PROFILE

__all__ = ("update_profile",)


async def update_profile(command: UpdateProfile, *, transaction: Connection) -> Profile:
    row = await transaction.fetchrow(UPDATE_PROFILE, command.user_id, command.display_name)
    if row is None:
        raise NotFound("This account no longer exists.")
    return Profile(*row)
