from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.features.mail.expire_mail.handler import expire_mail

__all__ = ("EXPIRE_MAIL",)

EXPIRE_MAIL = PeriodicJob(name="expire-mail", interval_seconds=3600, run=expire_mail)
