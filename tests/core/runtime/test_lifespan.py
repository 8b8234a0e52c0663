"""Start-up and shutdown: bounded, ordered, and leaving no connection behind."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import asyncpg
import pytest

from src.app import create_app
from src.core.data.migrations import MigrationError
from src.core.runtime.lifespan import resources_from
from src.core.settings import PROJECT_ROOT, Settings
from tests.conftest import base_settings
from tests.support.http import running_app
from tests.support.logs import LogSink


async def test_startup_gives_up_after_the_configured_wait_when_the_database_is_unreachable(logs: LogSink) -> None:
    settings = base_settings(database_url="postgresql://postgres@127.0.0.1:9/nowhere", db_startup_timeout=0.6)

    with pytest.raises(OSError, match="Connect call failed"):
        async with running_app(create_app(settings)):
            pass

    assert logs.events("database_not_ready")


async def test_startup_applies_pending_migrations(empty_database_url: str) -> None:
    async with running_app(create_app(base_settings(database_url=empty_database_url))) as client:
        response = await client.get("/health/ready")

    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


async def test_without_migrate_on_startup_readiness_reports_pending_migrations(empty_database_url: str) -> None:
    settings = base_settings(database_url=empty_database_url, migrate_on_startup=False)
    async with running_app(create_app(settings)) as client:
        ready = await client.get("/health/ready")
        started = await client.get("/health/startup")

    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "checks": {"database": "ok", "migrations": "pending"}}
    assert started.status_code == 200


async def test_startup_refuses_a_database_whose_applied_migration_changed(
    empty_database_url: str, tmp_path: Path
) -> None:
    shutil.copytree(PROJECT_ROOT / "migrations", tmp_path, dirs_exist_ok=True)
    settings = base_settings(database_url=empty_database_url, migrations_dir=tmp_path)
    async with running_app(create_app(settings)):
        pass
    first = tmp_path / "0001_shared_functions.sql"
    first.write_bytes(first.read_bytes() + b"\n-- edited\n")

    with pytest.raises(MigrationError, match="was changed after it was applied"):
        async with running_app(create_app(settings)):
            pass


async def test_shutdown_cancels_background_tasks_and_closes_every_connection(
    settings: Settings, database_url: str
) -> None:
    app = create_app(settings)
    async with running_app(app) as client:
        await client.get("/health/ready")
        resources = resources_from(app.state)
        assert resources is not None
        task = resources.tasks.spawn(asyncio.sleep(3600), name="forever")
        assert await _app_connections(database_url) >= 1

    assert task.cancelled()
    assert resources_from(app.state) is None
    assert await _app_connections(database_url) == 0


async def _app_connections(dsn: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1",
            "avatar-api",
        )
        return count
    finally:
        await connection.close()
