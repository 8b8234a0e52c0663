"""The login command is the password grant's input, which the token endpoint shares
(src/features/auth/password_grant.py)."""

from __future__ import annotations

from src.features.auth.password_grant import LogIn

__all__ = ("LogIn",)
