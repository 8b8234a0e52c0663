"""Captured log output: the session's structlog writes JSON lines into a `LogSink`."""

from __future__ import annotations

import threading
from typing import Any

import msgspec

__all__ = ("LogSink",)


class LogSink:
    """A binary stream that keeps what is written, so tests can read the real log lines."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._lock = threading.Lock()

    def write(self, data: bytes) -> int:
        with self._lock:
            self._buffer.extend(data)
        return len(data)

    def flush(self) -> None:
        return None

    def clear(self) -> None:
        with self._lock:
            self._buffer.clear()

    @property
    def text(self) -> str:
        with self._lock:
            return self._buffer.decode()

    def records(self) -> list[dict[str, Any]]:
        return [msgspec.json.decode(line) for line in self.text.splitlines() if line.startswith("{")]

    def events(self, event: str) -> list[dict[str, Any]]:
        """The lines whose `message` (structlog's event) is `event`."""
        return [record for record in self.records() if record.get("message") == event]
