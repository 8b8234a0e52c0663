from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.features.auth.expire_sessions.handler import expire_sessions

__all__ = ("EXPIRE_SESSIONS",)

EXPIRE_SESSIONS = PeriodicJob(name="expire-sessions", interval_seconds=3600, run=expire_sessions)
