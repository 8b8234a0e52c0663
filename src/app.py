"""The composition root: the one place where the application is assembled.

`create_app(settings)` builds the Litestar app from explicit parts: the feature routers,
the kernel's dependencies, problem-details mapping, strict bodies, rate limits, metrics,
CORS, the edge middleware and the lifespan. It has no side effects on the process (no
logging setup, no environment reads), so tests build apps with their own settings, and
even their own feature list. `app_from_env()` is the process entry point Granian calls.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.openapi.spec import OAuthFlow, OAuthFlows, Reference, SecurityScheme, Tag
from litestar.types import ControllerRouterHandler, Scope

from src.core.http.api_docs import StrictStructSchemaPlugin, docs_router, openapi_config
from src.core.http.auth import AuthGate, rate_limit_user
from src.core.http.body import StrictJsonBodies
from src.core.http.browser_session import BROWSER_SESSION_SCHEME, CSRF_HEADER, REFRESH_COOKIE, BrowserCsrf
from src.core.http.checks import RouteChecks
from src.core.http.client_address import ClientAddressResolver
from src.core.http.cors import CredentialsForAllowedOrigins
from src.core.http.dependencies import KERNEL_DEPENDENCIES, resolve_one_at_a_time
from src.core.http.edge import EdgeMiddleware
from src.core.http.form import StrictFormBodies
from src.core.http.idempotency import EXPIRE_IDEMPOTENCY_KEYS
from src.core.http.metrics_endpoint import metrics_route
from src.core.http.parameters import StrictQueryParameters
from src.core.http.problems import problem_handlers
from src.core.http.rate_limit import DEFAULT_POLICY, RateLimits
from src.core.http.read_retry import ReadRetryMiddleware
from src.core.http.routing import fix_options_allow_headers
from src.core.observability.logging import configure_logging
from src.core.observability.metrics import METRICS_PATH
from src.core.observability.request_context import REQUEST_ID_HEADER, tracing_requested
from src.core.runtime.jobs import PeriodicJob
from src.core.runtime.lifespan import build_lifespan, resources_from
from src.core.runtime.rate_counters import RateCounter, RatePolicy
from src.core.security.api_keys import SCOPES
from src.core.security.outbound import Resolve
from src.core.settings import Settings, SettingsError, load_settings
from src.features import admin, api_keys, auth, avatars, health, mail, users, webhooks

if TYPE_CHECKING:
    from src.core.observability.tracing import Tracing

__all__ = ("API_PREFIX", "FEATURES", "JOBS", "OPERATIONS", "app_from_env", "create_app")

API_PREFIX = "/api/v1"

# Routers served under /api/v1, one per feature.
FEATURES: tuple[ControllerRouterHandler, ...] = (
    auth.router,
    users.router,
    avatars.router,
    webhooks.router,
    api_keys.router,
    admin.router,
)
# Routers served at the root, outside the versioned API (probes; OAuth discovery, RFC 8615).
OPERATIONS: tuple[ControllerRouterHandler, ...] = (health.router, auth.well_known_router)
# Periodic background jobs, from the features that have any.
JOBS: tuple[PeriodicJob, ...] = (EXPIRE_IDEMPOTENCY_KEYS, *auth.JOBS, *webhooks.JOBS, *mail.JOBS)

_TAGS = [
    Tag(name="auth", description="Sign up, log in, rotate tokens, manage sessions; the token signing keys."),
    Tag(name="users", description="Your own account."),
    Tag(name="avatars", description="Create, browse, edit and like avatars; each is also an SVG image."),
    Tag(
        name="webhooks",
        description="Subscribe URLs to events about your avatars; signed per Standard Webhooks, delivered at least "
        "once with retries; the delivery log.",
    ),
    Tag(
        name="api-keys",
        description="Personal access tokens for scripts and integrations, each limited to its scopes.",
    ),
    Tag(
        name="admin",
        description="For moderators and admins: find accounts, suspend them, change roles, hide avatars; the audit "
        "log. Each operation says the role it needs; others get 403 `insufficient_role`.",
    ),
    Tag(name="health", description="Probes for orchestrators and load balancers."),
]
_DESCRIPTION = (
    "An avatar gallery: sign up, create avatars, browse, like, and subscribe webhooks.\n\n"
    "Every error is an RFC 9457 `application/problem+json` body with a stable `code` "
    "and the `request_id` to quote when reporting it (but the OAuth 2 token endpoint's refusals, "
    "which are RFC 6749 `{error, error_description}`). Every endpoint but the probes is "
    "rate limited and says so in `RateLimit-*` headers."
)
_TOKEN_URL = f"{API_PREFIX}/auth/token"
# Protected operations accept either token scheme (src.core.http.auth.bearer_security): the
# same bearer token, which OAuth2 tells Swagger UI's Authorize dialog (and OAuth clients)
# how to get; those an API key may call also list ApiKeyAuth, with the scope they need.
_SECURITY_SCHEMES: dict[str, SecurityScheme | Reference] = {
    "BearerAuth": SecurityScheme(
        type="http",
        scheme="bearer",
        bearer_format="JWT",
        description="An access token from `POST /api/v1/auth/login`, `/refresh` or `/token` (ES256, 15 minutes).",
    ),
    "OAuth2": SecurityScheme(
        type="oauth2",
        description="E-mail address (as username) and password, at the OAuth 2 token endpoint; no client "
        "authentication (leave client_id and client_secret empty), no scopes.",
        flows=OAuthFlows(password=OAuthFlow(token_url=_TOKEN_URL, refresh_url=_TOKEN_URL, scopes={})),
    ),
    "ApiKeyAuth": SecurityScheme(
        type="http",
        scheme="bearer",
        description="An API key (`ava_...`) from `POST /api/v1/api-keys`, for scripts and integrations, sent as "
        "`Authorization: Bearer <key>`. Each operation that lists this scheme names the scope it needs in "
        "`x-api-key-scope` and its description (one of " + ", ".join(f"`{scope}`" for scope in SCOPES) + "); a key "
        "without it gets 403 `insufficient_scope`. Operations that do not list it refuse keys (403 "
        "`api_key_not_allowed`).",
    ),
    BROWSER_SESSION_SCHEME: SecurityScheme(
        type="apiKey",
        name=REFRESH_COOKIE,
        security_scheme_in="cookie",
        description="A browser session's refresh token, set `HttpOnly` by `POST /api/v1/auth/browser/login` and "
        "sent by the browser itself to `/api/v1/auth/browser/*` only (`credentials: 'include'`), with the "
        "`X-CSRF-Token` header. Named `avatar-refresh` when SESSION_COOKIE_SECURE=false (development).",
    ),
}
# Headers a browser client may send, and may read, across origins.
_CORS_ALLOW_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "X-Request-ID",
    CSRF_HEADER,
]
_CORS_EXPOSE_HEADERS = [
    REQUEST_ID_HEADER,
    "Location",
    "ETag",
    "Retry-After",
    "Idempotent-Replayed",
    "RateLimit",
    "RateLimit-Policy",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]


def _rate_counter(app: Litestar) -> RateCounter | None:
    resources = resources_from(app.state)
    return resources.rate_counter if resources is not None else None


def _admits(scope: Scope, client: Hashable) -> bool:
    resources = resources_from(scope["app"].state)
    return resources is None or resources.database.admits(client)


def _rate_limits(settings: Settings) -> RateLimits:
    return RateLimits(
        {
            DEFAULT_POLICY: RatePolicy.parse(DEFAULT_POLICY, settings.rate_limit_default),
            "auth": RatePolicy.parse("auth", settings.rate_limit_auth),
            "ping": RatePolicy.parse("ping", settings.rate_limit_ping),
        },
        user_of=rate_limit_user,
        counter_for=_rate_counter,
        per_address={"auth"},  # a token must not buy a fresh budget for sign-ups and logins
        ipv6_prefix=settings.rate_limit_ipv6_prefix,
    )


def _cors(settings: Settings) -> CORSConfig | None:
    if not settings.cors_allow_origins:
        return None
    return CORSConfig(
        allow_origins=list(settings.cors_allow_origins),
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=_CORS_ALLOW_HEADERS,
        expose_headers=_CORS_EXPOSE_HEADERS,
        allow_credentials=settings.cors_allow_credentials,
        max_age=settings.cors_max_age,
    )


def create_app(
    settings: Settings,
    *,
    features: Sequence[ControllerRouterHandler] = FEATURES,
    operations: Sequence[ControllerRouterHandler] = OPERATIONS,
    jobs: Sequence[PeriodicJob] = JOBS,
    resolve: Resolve | None = None,
    tracing: Tracing | None = None,
) -> Litestar:
    """`tracing`: the process's (`start_tracing`), when it is on; None traces nothing."""
    # In this order: a request over its limit is refused before its token is verified, and
    # the query and the body are looked at only for a caller who may send them (a forged
    # cross-site post is refused as forged, whatever its body).
    rate_limits = _rate_limits(settings) if settings.rate_limit_enabled else None
    query = StrictQueryParameters()
    checks = RouteChecks(
        *([rate_limits] if rate_limits else []),
        AuthGate(),
        BrowserCsrf(settings),
        query,
        StrictJsonBodies(),
        StrictFormBodies(),
    )
    app = Litestar(
        route_handlers=[
            *operations,
            *([metrics_route] if settings.metrics_port is None else []),  # else on its own port only
            docs_router,
            Router(path=API_PREFIX, route_handlers=list(features)),
        ],
        lifespan=[build_lifespan(settings, jobs, resolve, tracing)],
        dependencies=dict(KERNEL_DEPENDENCIES),
        exception_handlers=problem_handlers(settings),
        before_request=checks,
        request_max_body_size=settings.max_request_body_bytes,
        cors_config=_cors(settings),
        plugins=[StrictStructSchemaPlugin()],
        openapi_config=openapi_config(description=_DESCRIPTION, tags=_TAGS, security_schemes=_SECURITY_SCHEMES),
        logging_config=None,  # structlog is configured by the process entry point
        debug=settings.debug,
        state=State(),
    )
    fix_options_allow_headers(app)
    resolve_one_at_a_time(app)
    query.learn(app)
    if settings.cors_allow_origins and settings.cors_allow_credentials:
        app.asgi_handler = CredentialsForAllowedOrigins(app.asgi_handler)
    # Wrap Litestar's whole handler, not single routes: route middleware never sees
    # requests that match no route, and those need a request id, headers and a log line.
    app.asgi_handler = EdgeMiddleware(
        ReadRetryMiddleware(app.asgi_handler),
        client_addresses=ClientAddressResolver(settings.trusted_proxies),
        hsts_max_age=settings.hsts_max_age,
        access_log=settings.log_level in {"debug", "info"},
        unmatched=rate_limits.unmatched_check if rate_limits else None,
        tracing=tracing,
        admits=_admits,
        never_shed=("/health/", METRICS_PATH, "/docs"),
        retry_after=settings.retry_after_seconds,
        ipv6_prefix=settings.rate_limit_ipv6_prefix,
    )
    return app


def app_from_env() -> Litestar:
    """Granian's factory target: settings from the environment, logging, tracing (when an
    OTLP endpoint is configured: OTEL_EXPORTER_OTLP_ENDPOINT), then the app. Called in
    each worker process."""
    try:
        settings = load_settings()
        configure_logging(settings)
        tracing = None
        if tracing_requested(os.environ):
            from src.core.observability.tracing import start_tracing  # noqa: PLC0415 - 0.2 s of imports, only when on

            tracing = start_tracing()
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        raise SystemExit(2) from None
    return create_app(settings, tracing=tracing)
