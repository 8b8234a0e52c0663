from __future__ import annotations

import msgspec

from src.core.data.migrations import Migration

__all__ = ("CheckReadiness",)


class CheckReadiness(msgspec.Struct, frozen=True, kw_only=True):
    timeout: float
    """The whole check is bounded by this, so a hung database fails the probe, not the prober."""
    migrations: tuple[Migration, ...]
    """This release's migrations: all of them must be applied (the database may have more)."""
    redis_required: bool
    """Whether Redis being away fails readiness (it is reported either way when configured)."""
