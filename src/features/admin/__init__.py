"""Staff: moderators and admins. Find accounts, suspend and reinstate them, change their
roles; hide and restore avatars; read the audit log every such action writes. Each route
requires its role (`core.http.auth.requires_role`), read from the database per request."""

from litestar import Router

from src.features.admin.change_role.router import change_role_route
from src.features.admin.hide_avatar.router import hide_avatar_route
from src.features.admin.list_accounts.router import list_accounts_route
from src.features.admin.list_audit_log.router import list_audit_log_route
from src.features.admin.reinstate_account.router import reinstate_account_route
from src.features.admin.restore_avatar.router import restore_avatar_route
from src.features.admin.suspend_account.router import suspend_account_route

__all__ = ("router",)

router = Router(
    path="/admin",
    tags=["admin"],
    route_handlers=[
        list_accounts_route,
        suspend_account_route,
        reinstate_account_route,
        change_role_route,
        hide_avatar_route,
        restore_avatar_route,
        list_audit_log_route,
    ],
)
