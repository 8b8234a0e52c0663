from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.features.auth.expire_mfa_challenges.handler import expire_mfa_challenges

__all__ = ("EXPIRE_MFA_CHALLENGES",)

EXPIRE_MFA_CHALLENGES = PeriodicJob(name="expire-mfa-challenges", interval_seconds=3600, run=expire_mfa_challenges)
