from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.features.users.get_profile.command import GetProfile
from src.features.users.get_profile.handler import get_profile
from src.features.users.read_model import Profile

__all__ = ("get_profile_route",)


@get(
    "/me",
    operation_id="getMyProfile",
    summary="Your account",
    description="Your id, e-mail address, display name, and when the account was created and last changed.",
    security=bearer_security("account:read"),
    opt=needs_scope("account:read"),
    responses=problem_responses(401, 404),
)
async def get_profile_route(user: NamedDependency[Principal], connection: NamedDependency[Connection]) -> Profile:
    return await get_profile(GetProfile(user_id=user.user_id), connection=connection)
