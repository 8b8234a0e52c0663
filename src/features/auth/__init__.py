"""Accounts and authentication: sign-up, login, rotating refresh tokens, sessions, JWKS."""

from litestar import Router

from src.features.auth.expire_sessions.job import EXPIRE_SESSIONS
from src.features.auth.get_jwks.router import get_jwks_route
from src.features.auth.list_sessions.router import list_sessions_route
from src.features.auth.log_in.router import log_in_route
from src.features.auth.log_out.router import log_out_route
from src.features.auth.refresh_session.router import refresh_session_route
from src.features.auth.revoke_session.router import revoke_session_route
from src.features.auth.sign_up.router import sign_up_route

__all__ = ("JOBS", "router")

router = Router(
    path="/auth",
    tags=["auth"],
    route_handlers=[
        sign_up_route,
        log_in_route,
        refresh_session_route,
        log_out_route,
        list_sessions_route,
        revoke_session_route,
        get_jwks_route,
    ],
)

JOBS = (EXPIRE_SESSIONS,)
