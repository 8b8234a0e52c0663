"""A mail sink: an SMTP server (aiosmtpd) that writes every message it receives as an
`.eml` file, for development and private deployments that send no real mail.

- `api serve` without SMTP_URL (outside production) starts one on a free loopback port, in
  a thread of its own, and points the workers' SMTP_URL at it (`start_mail_sink`).
- `api mail-sink` runs one in the foreground (`run_mail_sink`): compose's `mail` service.

Each message lands in `<directory>/<UTC time>-<id>.eml` (written to a temporary name, then
renamed: a reader never sees half a file), and one log line gives its path and the masked
recipients, never the content: account links carry tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from aiosmtpd.smtp import SMTP, Envelope, Session

from src.core.ids import new_id
from src.core.observability.logging import get_logger

__all__ = ("MailSink", "SinkHandler", "run_mail_sink", "start_mail_sink")

log = get_logger(component="mail-sink")

_HOSTNAME: Final = "avatar-api-mail-sink"
_ACCEPTED: Final = "250 Message accepted for delivery"
_MAX_MESSAGE_BYTES: Final = 10 * 1024 * 1024


class SinkHandler:
    """aiosmtpd's handler: accepts any recipient and writes each message to `directory`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else content.encode()
        path = await asyncio.to_thread(self._write, data)
        log.info("mail_written", path=str(path), to=list(envelope.rcpt_tos), bytes=len(data))
        return _ACCEPTED

    def _write(self, data: bytes) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.directory / f"{stamp}-{new_id()}.eml"
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)
        return path


def _smtp_factory(directory: Path, loop: asyncio.AbstractEventLoop) -> Any:
    handler = SinkHandler(directory)
    return lambda: SMTP(
        handler, hostname=_HOSTNAME, loop=loop, enable_SMTPUTF8=True, data_size_limit=_MAX_MESSAGE_BYTES
    )


class MailSink:
    """A sink running in a daemon thread with its own event loop; `port` is where it listens."""

    def __init__(self, port: int, loop: asyncio.AbstractEventLoop, thread: threading.Thread) -> None:
        self.port = port
        self._loop = loop
        self._thread = thread

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


def start_mail_sink(directory: Path, host: str = "127.0.0.1") -> MailSink:
    """A sink on a free port of `host` (aiosmtpd's Controller cannot take port 0)."""
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(loop.create_server(_smtp_factory(directory, loop), host, 0))
    port: int = server.sockets[0].getsockname()[1]

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            server.close()
            loop.run_until_complete(server.wait_closed())
            loop.close()

    thread = threading.Thread(target=run, name="mail-sink", daemon=True)
    thread.start()
    log.info("mail_sink_started", directory=str(directory), smtp=f"{host}:{port}")
    return MailSink(port, loop, thread)


async def _serve(directory: Path, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    server = await loop.create_server(_smtp_factory(directory, loop), host, port)
    async with server:
        log.info("mail_sink_started", directory=str(directory), smtp=f"{host}:{port}")
        await stop.wait()
    log.info("mail_sink_stopped")


def run_mail_sink(directory: Path, host: str, port: int) -> None:
    """Serves until SIGTERM or SIGINT."""
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(directory, host, port))
