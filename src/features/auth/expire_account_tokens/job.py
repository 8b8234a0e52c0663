from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.features.auth.expire_account_tokens.handler import expire_account_tokens

__all__ = ("EXPIRE_ACCOUNT_TOKENS",)

EXPIRE_ACCOUNT_TOKENS = PeriodicJob(name="expire-account-tokens", interval_seconds=3600, run=expire_account_tokens)
