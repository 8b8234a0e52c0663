"""The signed-in user's own account: profile, e-mail address, password, two-factor sign-in,
deletion."""

from litestar import Router

from src.features.users.change_email.router import change_email_route
from src.features.users.change_password.router import change_password_route
from src.features.users.confirm_totp.router import confirm_totp_route
from src.features.users.delete_account.router import delete_account_route
from src.features.users.disable_totp.router import disable_totp_route
from src.features.users.enrol_totp.router import enrol_totp_route
from src.features.users.get_mfa_status.router import get_mfa_status_route
from src.features.users.get_profile.router import get_profile_route
from src.features.users.regenerate_backup_codes.router import regenerate_backup_codes_route
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
        get_mfa_status_route,
        enrol_totp_route,
        confirm_totp_route,
        disable_totp_route,
        regenerate_backup_codes_route,
        change_email_route,
    ],
)
