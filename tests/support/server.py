"""The service as a real process: `api serve` under Granian, driven like a user would."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec

from src.core.settings import PROJECT_ROOT

__all__ = ("API", "Served", "clean_environment", "free_port", "production_mail", "serve")

API = str(Path(sys.executable).parent / "api")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def clean_environment(**variables: str) -> dict[str, str]:
    """The caller's environment without any of our settings, plus `variables`."""
    ours = {
        *("DATABASE_URL", "APP_ENV", "PORT", "HOST", "DATA_DIR", "LOG_FORMAT", "WORKERS", "PROMETHEUS_MULTIPROC_DIR"),
        *("SMTP_URL", "SMTP_ALLOW_PLAINTEXT", "MAIL_FROM", "ACCOUNT_LINKS_BASE_URL"),
    }
    environment = {key: value for key, value in os.environ.items() if key not in ours}
    return {**environment, "LOG_FORMAT": "json", **variables}


def production_mail(smtp_port: int) -> dict[str, str]:
    """What APP_ENV=production needs to send account e-mail: a relay (plain, on loopback:
    allowed explicitly), a sender of a real domain, an https origin for the links."""
    return {
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "SMTP_ALLOW_PLAINTEXT": "true",
        "MAIL_FROM": "Avatar API <no-reply@avatars.example.org>",
        "ACCOUNT_LINKS_BASE_URL": "https://app.avatars.example.org",
    }


class Served:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.lines: list[dict[str, object]] = []
        self.output: list[bytes] = []  # every line it wrote, stdout and stderr, JSON or not

    def wait_for_event(self, event: str, timeout: float = 60) -> dict[str, object]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            raw = self.process.stdout.readline()
            if not raw:
                raise AssertionError(f"the server exited before logging {event!r}: {self.lines}")
            self.output.append(raw.rstrip(b"\n"))
            if raw.startswith(b"{"):
                record = msgspec.json.decode(raw)
                self.lines.append(record)
                if record.get("message") == event:
                    return record  # type: ignore[no-any-return]
        raise AssertionError(f"no {event!r} within {timeout} s")

    def stop(self) -> int:
        """SIGTERM, as an orchestrator sends; then keep every line it logged until it exited."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        assert self.process.stdout is not None
        for raw in self.process.stdout.read().splitlines():
            self.output.append(raw)
            if raw.startswith(b"{"):
                self.lines.append(msgspec.json.decode(raw))
        return code


@contextmanager
def serve(environment: dict[str, str]) -> Iterator[Served]:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [API, "serve"],
        env={**environment, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        cwd=PROJECT_ROOT,
        start_new_session=True,  # its own process group: the Granian workers go with it
    )
    served = Served(process, port)
    try:
        yield served
    finally:
        _stop_group(process)
        if process.stdout is not None:
            process.stdout.close()


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group (a graceful stop), SIGKILL after 15 s; then make sure no
    worker outlived its main process (SIGKILL on the main alone would orphan them)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)  # noqa: TID251 - a synchronous helper, also used outside event loops
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
