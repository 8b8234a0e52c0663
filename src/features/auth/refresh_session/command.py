"""The refresh command is the refresh grant's input, which the token endpoint shares
(src/features/auth/refresh_grant.py)."""

from __future__ import annotations

from src.features.auth.refresh_grant import RefreshSession

__all__ = ("RefreshSession",)
