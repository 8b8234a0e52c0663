"""The signed-in user's own account: profile, e-mail address, password, deletion."""

from litestar import Router

from src.features.users.change_email.router import change_email_route
from src.features.users.change_password.router import change_password_route
from src.features.users.delete_account.router import delete_account_route
from src.features.users.get_profile.router import get_profile_route
from src.features.users.update_profile.router import update_profile_route

__all__ = ("router",)

router = Router(
    path="/users",
    tags=["users"],
    route_handlers=[
        get_profile_route,
        update_profile_route,
        delete_account_route,
        change_password_route,
        change_email_route,
    ],
)
