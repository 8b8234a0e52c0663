"""The server `api serve` runs: Granian with our options, and what happens when a worker
cannot start.

Granian respawns a worker that exits, and only stops when one fails again within a few
seconds: a worker that waits `DB_STARTUP_TIMEOUT` for an unreachable database and then
exits is respawned forever, each time with a traceback. So a worker that cannot start
says why in one line (`startup_failed`), tells the server (`report_failed_start`: a
SIGUSR1 to the process serving it), and the whole server stops at once with exit code 1.
A worker that dies later, after it served, is still respawned.

What can be checked before any worker starts (settings, the signing key, the DSN's
shape) is checked by `api serve` itself (see `src.cli`), which exits with code 2.
"""

from __future__ import annotations

import logging
import os
import signal
from types import FrameType
from typing import Final

from src.core.observability.logging import get_logger, granian_log_config
from src.core.settings import Settings

__all__ = ("SERVER_PID_VARIABLE", "report_failed_start", "serve")

log = get_logger(component="server")

# Set by `serve` for its workers: which process to tell when a worker cannot start.
SERVER_PID_VARIABLE: Final = "AVATAR_API_SERVER_PID"
_FAILED_START: Final = signal.SIGUSR1


def report_failed_start() -> None:
    """Called by a worker whose start-up failed: the server it belongs to stops."""
    server_pid = os.environ.get(SERVER_PID_VARIABLE)
    if server_pid and server_pid.isdigit() and int(server_pid) != os.getpid():
        try:
            os.kill(int(server_pid), _FAILED_START)
        except ProcessLookupError:
            return


class _AfterFailedStart(logging.Filter):
    """Once a worker has said why it could not start, Granian's "Unexpected exit from
    worker" lines repeat it without the reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Unexpected exit from worker")


APP_FACTORY: Final = "src.app:app_from_env"


def serve(settings: Settings, *, app_factory: str = APP_FACTORY) -> int:
    """Serve until stopped; 0 after a normal shutdown, 1 when a worker could not start.
    `app_factory`: what each worker calls for its app (the benchmark's launcher names its own)."""
    from granian import Granian  # noqa: PLC0415 - only `api serve` needs the server
    from granian.constants import Interfaces, Loops  # noqa: PLC0415
    from granian.log import LogLevels  # noqa: PLC0415

    server = Granian(
        app_factory,
        factory=True,
        interface=Interfaces.ASGI,
        address=settings.host,
        port=settings.port,
        workers=settings.workers,
        loop=Loops.uvloop,
        log_access=False,  # our own access log line carries the route and request id
        # Granian's own lines (start-up, workers, errors) in the shape of ours, from our handler.
        log_level=LogLevels(settings.log_level),
        log_dictconfig=granian_log_config(settings),
        workers_kill_timeout=max(1, round(settings.shutdown_timeout)),
        respawn_failed_workers=True,
    )
    failed_start = False

    def on_failed_start(_signal: int, _frame: FrameType | None) -> None:
        nonlocal failed_start
        if not failed_start:
            failed_start = True
            logging.getLogger("_granian").addFilter(_AfterFailedStart())
            server.signal_handler_interrupt()  # type: ignore[no-untyped-call]  # what Granian's SIGTERM calls

    os.environ[SERVER_PID_VARIABLE] = str(os.getpid())
    signal.signal(_FAILED_START, on_failed_start)
    log.info("serving", url=settings.public_url, docs=f"{settings.public_url}/docs", workers=settings.workers)
    try:
        server.serve()
    except SystemExit as exit_:  # Granian exits 1 itself when a worker died on its way out
        if not failed_start:
            raise
        del exit_
    if failed_start:
        log.error("server_stopped", reason="a worker could not start (see startup_failed)")
        return 1
    return 0
