"""The browser refresh's command is the refresh grant's input, which `/refresh` and the
token endpoint share (src/features/auth/refresh_grant.py)."""

from __future__ import annotations

from src.features.auth.refresh_grant import RefreshSession

__all__ = ("RefreshSession",)
