"""Shared fixtures: a real PostgreSQL, a fresh migrated database per test, the real app.

settings  -> Settings for a test app on its own fresh database
app       -> create_app(settings), not started
client    -> an HTTP client driving the started app (lifespan run, pool open)
logs      -> the JSON log lines written during the test
mail_server -> a real SMTP server on loopback (aiosmtpd) that records what it receives
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import asyncpg
import httpx
import pytest
from litestar import Litestar
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from src.app import create_app
from src.core.data.migrations import apply_migrations, discover_migrations
from src.core.ids import new_id
from src.core.observability.logging import configure_logging
from src.core.security.keys import generate_private_key_pem
from src.core.security.sealing import generate_data_key
from src.core.settings import Settings
from tests.support.databases import (
    PostgresServer,
    create_database,
    drop_database,
    postgres_server,
    unique_database_name,
)
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.mail import MailServer
from tests.support.redis import redis_server_url

_LOG_SINK = LogSink()
# One signing key for the whole session, as a deployment would configure it.
TEST_SIGNING_KEY = generate_private_key_pem().decode()
TEST_DATA_KEY = generate_data_key()


def base_settings(**changes: Any) -> Settings:
    """Test settings: JSON logs (tests read them), short timeouts, small pools, cheap hashes."""
    values: dict[str, Any] = {
        "app_env": "test",
        "log_format": "json",
        "log_level": "info",
        "db_pool_min_size": 1,
        "db_pool_max_size": 5,
        "db_startup_timeout": 5.0,
        "shutdown_timeout": 4.0,
        "jwt_private_key": TEST_SIGNING_KEY,
        "data_encryption_key": TEST_DATA_KEY,
        # Tests that are about rate limits set their own; the rest must not run into them.
        "rate_limit_default": "1000000/minute",
        "rate_limit_auth": "1000000/minute",
        "rate_limit_ping": "1000000/minute",
        "rate_limit_email": "1000000/minute",
        # Verification has its own tests (tests/features/auth/test_verify_email.py); the
        # rest create webhooks with accounts that never open their mail.
        "email_verification_required": False,
        # Argon2id at its cheapest: the tests are about behaviour, not hash strength.
        "password_hash_memory_kib": 8,
        "password_hash_time_cost": 1,
    }
    values.update(changes)
    return Settings(**values)


def pytest_configure(config: pytest.Config) -> None:
    configure_logging(base_settings(), stream=_LOG_SINK)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def template_database(postgres: PostgresServer) -> Iterator[str]:
    """A database with every migration applied, copied for each test."""
    name = unique_database_name("avatar_test_template")

    async def prepare() -> None:
        dsn = await create_database(postgres.admin_dsn, name)
        connection = await asyncpg.connect(dsn)
        try:
            await apply_migrations(connection, discover_migrations(base_settings().migrations_dir), lock_timeout=30)
        finally:
            await connection.close()

    asyncio.run(prepare())
    yield name
    asyncio.run(drop_database(postgres.admin_dsn, name))


@pytest.fixture
async def database_url(postgres: PostgresServer, template_database: str) -> AsyncIterator[str]:
    name = unique_database_name("avatar_test")
    dsn = await create_database(postgres.admin_dsn, name, template=template_database)
    yield dsn
    await drop_database(postgres.admin_dsn, name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return base_settings(database_url=database_url)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(app) as client:
        yield client


@pytest.fixture
def logs() -> LogSink:
    _LOG_SINK.clear()
    return _LOG_SINK


@pytest.fixture
async def probe_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app plus the test-only probe routes under /api/v1/probe."""
    from tests.support.probe_routes import probe_router

    async with running_app(create_app(settings, features=[probe_router])) as client:
        yield client


@pytest.fixture
async def mail_server() -> AsyncIterator[MailServer]:
    """A real SMTP server on loopback that records what it receives (tests/support/mail.py)."""
    async with MailServer() as server:
        yield server


@pytest.fixture
async def empty_database_url(postgres: PostgresServer) -> AsyncIterator[str]:
    """A fresh database with no migrations applied."""
    name = unique_database_name("avatar_test_empty")
    dsn = await create_database(postgres.admin_dsn, name)
    yield dsn
    await drop_database(postgres.admin_dsn, name)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[str | None]:
    with redis_server_url() as url:
        yield url


@pytest.fixture
def redis_key_prefix() -> str:
    return f"avatar-test-{new_id().hex}:"


@pytest.fixture
async def redis_url(redis_server: str | None, redis_key_prefix: str) -> AsyncIterator[str]:
    """A real Redis; the test uses `redis_key_prefix`, and its keys are removed after."""
    if redis_server is None:
        pytest.skip("needs Redis: set TEST_REDIS_URL or install redis-server")
    yield redis_server
    client = Redis.from_url(redis_server)
    try:
        async for key in client.scan_iter(match=f"{redis_key_prefix}*"):
            await client.delete(key)
    finally:
        await client.aclose()


@pytest.fixture
def shared_redis_settings(settings: Settings, redis_url: str, redis_key_prefix: str) -> Iterator[Settings]:
    """Settings whose rate counters live in Redis, for tests of what instances share.

    A generous REDIS_TIMEOUT: these tests are about atomicity across instances, and on a
    loaded machine a 0.25 s timeout can fire while argon2 keeps the loop busy, sending the
    counters to worker memory (each instance then grants its own budget). The test fails
    if that happened anyway, saying so, rather than with a count that hides the cause."""

    def store_errors() -> float:
        return REGISTRY.get_sample_value("avatar_api_rate_limit_store_errors_total") or 0.0

    before = store_errors()
    yield settings.with_changes(redis_url=redis_url, redis_key_prefix=redis_key_prefix, redis_timeout=2.0)
    fell_back = store_errors() - before
    assert fell_back == 0, f"Redis failed {fell_back} time(s) during the test; the counters fell back to memory"
