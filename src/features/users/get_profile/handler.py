from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.rows import from_row
from src.core.errors import NotFound
from src.features.users.get_profile.command import GetProfile
from src.features.users.get_profile.queries import SELECT_PROFILE
from src.features.users.read_model import Profile

__all__ = ("get_profile",)


async def get_profile(command: GetProfile, *, connection: Connection) -> Profile:
    row = await connection.fetchrow(SELECT_PROFILE, command.user_id)
    if row is None:
        raise NotFound("This account no longer exists.")
    return from_row(Profile, row)
