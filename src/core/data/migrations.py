"""A small, strict migration runner: plain SQL files applied in order, once.

- Files are `migrations/NNNN_what_it_does.sql`; the number orders them.
- `schema_migrations` records each applied file with the SHA-256 of its content. An
  applied file that has since changed stops start-up: the database no longer matches
  the code, and silently carrying on would hide it.
- A PostgreSQL advisory lock serialises runners, so instances (or Granian workers)
  starting together apply each migration exactly once; the others wait, then find
  nothing to do.
- Each migration runs in its own transaction with its bookkeeping row. A file whose
  first line is `-- migrate: no-transaction` runs outside one (for statements such as
  `CREATE INDEX CONCURRENTLY`); keep such files to a single statement.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import asyncpg
import asyncpg.exceptions
import msgspec

from src.core.data.database import Connection
from src.core.observability.logging import get_logger

__all__ = (
    "Migration",
    "MigrationError",
    "apply_migrations",
    "discover_migrations",
    "pending_migrations",
)

log = get_logger(component="migrations")

_FILE_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_NO_TRANSACTION = "-- migrate: no-transaction"
# An arbitrary constant shared by every instance of this service: "avatar_migrations".
ADVISORY_LOCK_KEY = 0x61766174_6D696772

CREATE_MIGRATIONS_TABLE = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version      integer PRIMARY KEY,
    name         text        NOT NULL,
    checksum     text        NOT NULL,
    applied_at   timestamptz NOT NULL DEFAULT now(),
    execution_ms integer     NOT NULL
)
"""
SELECT_APPLIED = "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
INSERT_APPLIED = "INSERT INTO schema_migrations (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)"
SELECT_APPLIED_VERSIONS = "SELECT version FROM schema_migrations"


class MigrationError(Exception):
    """The migrations on disk and in the database disagree, or one failed to apply."""


class Migration(msgspec.Struct, frozen=True):
    version: int
    name: str
    checksum: str
    sql: str

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"

    @property
    def transactional(self) -> bool:
        return not self.sql.lstrip().startswith(_NO_TRANSACTION)


def discover_migrations(directory: Path) -> tuple[Migration, ...]:
    if not directory.is_dir():
        raise MigrationError(f"migrations directory not found: {directory}")
    migrations: dict[int, Migration] = {}
    for path in sorted(directory.glob("*.sql")):
        match = _FILE_NAME.match(path.name)
        if match is None:
            raise MigrationError(f"{path.name}: migration files are named NNNN_lower_snake_case.sql")
        sql = path.read_text(encoding="utf-8")
        migration = Migration(
            version=int(match["version"]),
            name=match["name"],
            checksum=hashlib.sha256(sql.encode()).hexdigest(),
            sql=sql,
        )
        if (clash := migrations.get(migration.version)) is not None:
            raise MigrationError(f"{clash.file_name} and {path.name} share version {migration.version}")
        migrations[migration.version] = migration
    return tuple(migrations[version] for version in sorted(migrations))


def _check_history(migrations: Sequence[Migration], applied: Iterable[asyncpg.Record]) -> list[Migration]:
    """Verify what was applied still matches the files; return what is left to apply."""
    on_disk = {migration.version: migration for migration in migrations}
    applied_versions: set[int] = set()
    for row in applied:
        version, checksum = row["version"], row["checksum"]
        applied_versions.add(version)
        migration = on_disk.get(version)
        if migration is None:
            # Applied by a newer release (a rolling deploy): harmless for this one.
            log.warning("migration_unknown_to_this_release", version=version, name=row["name"])
        elif migration.checksum != checksum:
            raise MigrationError(
                f"{migration.file_name} was changed after it was applied "
                f"(database checksum {checksum[:12]}, file {migration.checksum[:12]}); "
                "restore the file and add a new migration instead"
            )
    pending = [migration for migration in migrations if migration.version not in applied_versions]
    newest_applied = max(applied_versions, default=0)
    if pending and pending[0].version < newest_applied:
        raise MigrationError(
            f"{pending[0].file_name} is pending but version {newest_applied} is already applied; "
            "renumber it after the newest applied migration"
        )
    return pending


async def apply_migrations(
    connection: Connection, migrations: Sequence[Migration], *, lock_timeout: float
) -> list[Migration]:
    """Apply pending migrations under the advisory lock; return those applied now."""
    try:
        await connection.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY, timeout=lock_timeout)
    except TimeoutError as exc:
        raise MigrationError(f"another instance held the migration lock for more than {lock_timeout:g} s") from exc
    try:
        await connection.execute(CREATE_MIGRATIONS_TABLE)
        pending = _check_history(migrations, await connection.fetch(SELECT_APPLIED))
        for migration in pending:
            await _apply_one(connection, migration)
        return pending
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)


async def _apply_one(connection: Connection, migration: Migration) -> None:
    started = time.perf_counter()
    try:
        if migration.transactional:
            async with connection.transaction():
                await connection.execute(migration.sql)
                await _record(connection, migration, started)
        else:
            await connection.execute(migration.sql)
            await _record(connection, migration, started)
    except asyncpg.PostgresError as exc:
        raise MigrationError(f"{migration.file_name} failed: {type(exc).__name__}: {exc}") from exc
    log.info("migration_applied", migration=migration.file_name, duration_ms=_elapsed_ms(started))


async def _record(connection: Connection, migration: Migration, started: float) -> None:
    await connection.execute(
        INSERT_APPLIED, migration.version, migration.name, migration.checksum, _elapsed_ms(started)
    )


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


async def pending_migrations(connection: Connection, migrations: Sequence[Migration]) -> list[Migration]:
    """Which of this release's migrations the database has not applied (readiness check)."""
    try:
        rows = await connection.fetch(SELECT_APPLIED_VERSIONS)
    except asyncpg.exceptions.UndefinedTableError:
        return list(migrations)
    applied = {row["version"] for row in rows}
    return [migration for migration in migrations if migration.version not in applied]
