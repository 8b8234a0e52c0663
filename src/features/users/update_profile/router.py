from __future__ import annotations

import msgspec
from litestar import patch
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Connection
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.features.users.read_model import Profile
from src.features.users.update_profile.command import UpdateProfile
from src.features.users.update_profile.handler import update_profile
from src.features.users.update_profile.schema import UpdateProfileRequest

__all__ = ("update_profile_route",)


@patch(
    "/me",
    operation_id="updateMyProfile",
    summary="Change your display name",
    description=(
        "Only the display name changes here. The same rules as at sign-up apply (visible "
        "characters, no bidirectional controls)."
    ),
    security=bearer_security("account:write"),
    opt=needs_scope("account:write"),
    responses=problem_responses(400, 401, 404, 413, 415),
)
async def update_profile_route(
    data: JSONBody[UpdateProfileRequest], user: NamedDependency[Principal], transaction: NamedDependency[Connection]
) -> Profile:
    display_name = None if data.display_name is msgspec.UNSET else data.display_name
    return await update_profile(UpdateProfile(user_id=user.user_id, display_name=display_name), transaction=transaction)
