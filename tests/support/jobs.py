"""A job's context outside the service, for running one round of a job in a test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from src.core.data.database import Database, create_pool
from src.core.runtime.http_client import create_http_client
from src.core.runtime.jobs import JobContext
from src.core.runtime.mail import Mailer
from src.core.security.outbound import OutboundGuard
from src.core.settings import Settings


@asynccontextmanager
async def job_context(settings: Settings, database_url: str) -> AsyncIterator[JobContext]:
    """The pool, HTTP client, outbound guard and mailer a job round uses, closed afterwards."""
    outbound = OutboundGuard(
        allow_http=settings.webhook_allow_http,
        allowed_networks=settings.outbound_allowed_networks,
        timeout=settings.http_client_connect_timeout,
    )
    pool = await create_pool(settings, database_url)
    http = create_http_client(settings, outbound)
    try:
        yield JobContext(
            settings=settings,
            database=Database(pool, acquire_timeout=2, release_timeout=2),
            http=http,
            outbound=outbound,
            mail=Mailer(settings),
        )
    finally:
        await http.close()
        await pool.close()
