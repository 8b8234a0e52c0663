"""Outbound e-mail: the deliver-mail job sends what slices queued in `mail_outbox` (see
src.core.runtime.mail), with retries, once per message across instances; expire-mail
forgets finished messages. No routes."""

from src.features.mail.deliver_mail.job import DELIVER_MAIL
from src.features.mail.expire_mail.job import EXPIRE_MAIL

__all__ = ("JOBS",)

JOBS = (DELIVER_MAIL, EXPIRE_MAIL)
