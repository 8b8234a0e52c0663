"""The composition root: the one place where the application is assembled.

`create_app(settings)` builds the Litestar app from explicit parts: the feature routers,
the kernel's dependencies, problem-details mapping, strict bodies, the request-context
edge and the lifespan. It has no side effects on the process (no logging setup, no
environment reads), so tests build apps with their own settings, and even their own
feature list. `app_from_env()` is the process entry point that Granian calls.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from litestar import Litestar, Router
from litestar.datastructures import State
from litestar.openapi.spec import Tag
from litestar.types import ControllerRouterHandler

from src.core.api_docs import docs_router, openapi_config
from src.core.body import StrictJsonBodies
from src.core.dependencies import KERNEL_DEPENDENCIES
from src.core.lifespan import build_lifespan
from src.core.logging import configure_logging
from src.core.problems import problem_handlers
from src.core.request_context import RequestContextMiddleware
from src.core.settings import Settings, SettingsError, load_settings
from src.features import health

__all__ = ("API_PREFIX", "FEATURES", "OPERATIONS", "app_from_env", "create_app")

API_PREFIX = "/api/v1"

# Routers served under /api/v1, one per feature.
FEATURES: tuple[ControllerRouterHandler, ...] = ()
# Routers served at the root, outside the versioned API.
OPERATIONS: tuple[ControllerRouterHandler, ...] = (health.router,)

_TAGS = [
    Tag(name="health", description="Probes for orchestrators and load balancers."),
]
_DESCRIPTION = (
    "An avatar gallery: sign up, create avatars, browse, like, and subscribe webhooks.\n\n"
    "Every error is an RFC 9457 `application/problem+json` body with a stable `code` "
    "and the `request_id` to quote when reporting it."
)


def create_app(
    settings: Settings,
    *,
    features: Sequence[ControllerRouterHandler] = FEATURES,
    operations: Sequence[ControllerRouterHandler] = OPERATIONS,
) -> Litestar:
    app = Litestar(
        route_handlers=[
            *operations,
            docs_router,
            Router(path=API_PREFIX, route_handlers=list(features)),
        ],
        lifespan=[build_lifespan(settings)],
        dependencies=dict(KERNEL_DEPENDENCIES),
        exception_handlers=problem_handlers(settings),
        before_request=StrictJsonBodies(),
        request_max_body_size=settings.max_request_body_bytes,
        openapi_config=openapi_config(description=_DESCRIPTION, tags=_TAGS, security_schemes={}),
        logging_config=None,  # structlog is configured by the process entry point
        debug=settings.debug,
        state=State(),
    )
    # Wrap Litestar's whole handler, not single routes: route middleware never sees
    # requests that match no route, and those need a request id and a log line too.
    app.asgi_handler = RequestContextMiddleware(app.asgi_handler)
    return app


def app_from_env() -> Litestar:
    """Granian's factory target: settings from the environment, logging, then the app."""
    try:
        settings = load_settings()
    except SettingsError as exc:
        sys.stderr.write(f"configuration error: {exc}\n")
        raise SystemExit(2) from None
    configure_logging(settings)
    return create_app(settings)
