"""The migration runner: ordered, once, checksummed, locked, all-or-nothing per file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from src.core.data.migrations import (
    MigrationError,
    apply_migrations,
    discover_migrations,
    pending_migrations,
)
from src.core.settings import PROJECT_ROOT


def write(directory: Path, name: str, sql: str) -> None:
    (directory / name).write_text(sql, encoding="utf-8")


@pytest.fixture
def migrations_dir(tmp_path: Path) -> Path:
    write(tmp_path, "0001_create_notes.sql", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);")
    write(tmp_path, "0002_seed_note.sql", "INSERT INTO notes VALUES (1, 'first');")
    return tmp_path


async def migrate(dsn: str, directory: Path) -> list[str]:
    connection = await asyncpg.connect(dsn)
    try:
        applied = await apply_migrations(connection, discover_migrations(directory), lock_timeout=10)
        return [migration.file_name for migration in applied]
    finally:
        await connection.close()


async def fetch(dsn: str, query: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetch(query)
    finally:
        await connection.close()


async def test_applies_in_order_once_and_records_checksums(empty_database_url: str, migrations_dir: Path) -> None:
    assert await migrate(empty_database_url, migrations_dir) == ["0001_create_notes.sql", "0002_seed_note.sql"]
    assert await migrate(empty_database_url, migrations_dir) == []

    rows = await fetch(empty_database_url, "SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    expected = discover_migrations(migrations_dir)
    assert [(r["version"], r["name"], r["checksum"]) for r in rows] == [
        (m.version, m.name, m.checksum) for m in expected
    ]
    assert [r["body"] for r in await fetch(empty_database_url, "SELECT body FROM notes")] == ["first"]


async def test_refuses_to_run_when_an_applied_file_changed(empty_database_url: str, migrations_dir: Path) -> None:
    await migrate(empty_database_url, migrations_dir)
    write(migrations_dir, "0002_seed_note.sql", "INSERT INTO notes VALUES (1, 'edited');")

    with pytest.raises(MigrationError, match=r"0002_seed_note\.sql was changed after it was applied"):
        await migrate(empty_database_url, migrations_dir)


async def test_a_failing_migration_leaves_nothing_behind(empty_database_url: str, migrations_dir: Path) -> None:
    write(migrations_dir, "0003_broken.sql", "CREATE TABLE half_done (id int); SELECT no_such_function();")

    with pytest.raises(MigrationError, match=r"0003_broken\.sql failed: UndefinedFunctionError"):
        await migrate(empty_database_url, migrations_dir)

    versions = [r["version"] for r in await fetch(empty_database_url, "SELECT version FROM schema_migrations")]
    assert sorted(versions) == [1, 2]
    assert await fetch(empty_database_url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'") == []


async def test_concurrent_runners_apply_each_migration_once(empty_database_url: str, migrations_dir: Path) -> None:
    # Not idempotent on purpose: a second application would fail on the primary key.
    results = await asyncio.gather(*(migrate(empty_database_url, migrations_dir) for _ in range(6)))

    assert sorted(len(applied) for applied in results) == [0, 0, 0, 0, 0, 2]
    assert len(await fetch(empty_database_url, "SELECT 1 FROM notes")) == 1


async def test_a_pending_migration_older_than_the_newest_applied_is_refused(
    empty_database_url: str, migrations_dir: Path
) -> None:
    (migrations_dir / "0002_seed_note.sql").rename(migrations_dir / "0005_seed_note.sql")
    await migrate(empty_database_url, migrations_dir)
    write(migrations_dir, "0003_late_branch.sql", "SELECT 1;")

    with pytest.raises(MigrationError, match=r"0003_late_branch\.sql is pending but version 5 is already applied"):
        await migrate(empty_database_url, migrations_dir)


async def test_no_transaction_migrations_run_outside_a_transaction(
    empty_database_url: str, migrations_dir: Path
) -> None:
    write(
        migrations_dir,
        "0003_index_concurrently.sql",
        "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY notes_body ON notes (body);",
    )

    assert "0003_index_concurrently.sql" in await migrate(empty_database_url, migrations_dir)
    assert await fetch(empty_database_url, "SELECT 1 FROM pg_indexes WHERE indexname = 'notes_body'")


async def test_migrations_applied_by_a_newer_release_are_tolerated(
    empty_database_url: str, migrations_dir: Path
) -> None:
    await migrate(empty_database_url, migrations_dir)
    (migrations_dir / "0002_seed_note.sql").unlink()

    assert await migrate(empty_database_url, migrations_dir) == []


async def test_pending_lists_everything_on_a_fresh_database(empty_database_url: str, migrations_dir: Path) -> None:
    migrations = discover_migrations(migrations_dir)
    connection = await asyncpg.connect(empty_database_url)
    try:
        assert await pending_migrations(connection, migrations) == list(migrations)
        await apply_migrations(connection, migrations[:1], lock_timeout=5)
        assert await pending_migrations(connection, migrations) == list(migrations[1:])
    finally:
        await connection.close()


@pytest.mark.parametrize("name", ["1_short.sql", "0001-dashes.sql", "0001_UPPER.sql", "0001_.sql"])
def test_badly_named_files_are_refused(tmp_path: Path, name: str) -> None:
    write(tmp_path, name, "SELECT 1;")

    with pytest.raises(MigrationError, match="NNNN_lower_snake_case"):
        discover_migrations(tmp_path)


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "0001_a.sql", "SELECT 1;")
    write(tmp_path, "0001_b.sql", "SELECT 2;")

    with pytest.raises(MigrationError, match="share version 1"):
        discover_migrations(tmp_path)


def test_the_project_migrations_are_well_formed() -> None:
    migrations = discover_migrations(PROJECT_ROOT / "migrations")

    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
