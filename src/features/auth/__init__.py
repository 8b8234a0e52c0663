"""Accounts and authentication: sign-up, verified addresses, password resets, login (with a
second factor when TOTP is on), rotating refresh tokens, sessions, the OAuth 2 token endpoint,
the browser session (the refresh token in an HttpOnly cookie), JWKS and discovery."""

from litestar import Router

from src.features.auth.complete_browser_mfa_login.router import complete_browser_mfa_login_route
from src.features.auth.complete_mfa_login.router import complete_mfa_login_route
from src.features.auth.expire_account_tokens.job import EXPIRE_ACCOUNT_TOKENS
from src.features.auth.expire_mfa_challenges.job import EXPIRE_MFA_CHALLENGES
from src.features.auth.expire_sessions.job import EXPIRE_SESSIONS
from src.features.auth.get_jwks.router import get_jwks_route, get_well_known_jwks_route
from src.features.auth.get_oauth_metadata.router import get_oauth_metadata_route
from src.features.auth.issue_token.router import issue_token_route
from src.features.auth.list_sessions.router import list_sessions_route
from src.features.auth.log_in.router import log_in_route
from src.features.auth.log_in_browser.router import log_in_browser_route
from src.features.auth.log_out.router import log_out_route
from src.features.auth.log_out_browser.router import log_out_browser_route
from src.features.auth.refresh_browser_session.router import refresh_browser_session_route
from src.features.auth.refresh_session.router import refresh_session_route
from src.features.auth.request_password_reset.router import request_password_reset_route
from src.features.auth.resend_verification.router import resend_verification_route
from src.features.auth.reset_password.router import reset_password_route
from src.features.auth.revoke_session.router import revoke_session_route
from src.features.auth.sign_up.router import sign_up_route
from src.features.auth.verify_email.router import verify_email_route

__all__ = ("JOBS", "router", "well_known_router")

router = Router(
    path="/auth",
    tags=["auth"],
    route_handlers=[
        sign_up_route,
        verify_email_route,
        resend_verification_route,
        request_password_reset_route,
        reset_password_route,
        log_in_route,
        complete_mfa_login_route,
        refresh_session_route,
        issue_token_route,
        log_out_route,
        list_sessions_route,
        revoke_session_route,
        get_jwks_route,
        log_in_browser_route,
        complete_browser_mfa_login_route,
        refresh_browser_session_route,
        log_out_browser_route,
    ],
)

# Discovery lives at the origin's root (RFC 8615), outside the versioned API.
well_known_router = Router(
    path="/",
    tags=["auth"],
    route_handlers=[get_well_known_jwks_route, get_oauth_metadata_route],
)

JOBS = (EXPIRE_SESSIONS, EXPIRE_MFA_CHALLENGES, EXPIRE_ACCOUNT_TOKENS)
