"""The browser login's command is the password grant's input, which `/login` and the
token endpoint share (src/features/auth/password_grant.py)."""

from __future__ import annotations

from src.features.auth.password_grant import LogIn

__all__ = ("LogIn",)
