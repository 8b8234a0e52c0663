"""The command is the MFA grant's input, which the token endpoint shares
(src/features/auth/mfa_grant.py)."""

from __future__ import annotations

from src.features.auth.mfa_grant import CompleteMfa

__all__ = ("CompleteMfa",)
