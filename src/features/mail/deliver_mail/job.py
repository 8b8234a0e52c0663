from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.core.runtime.mail import MAIL_CHANNEL
from src.features.mail.deliver_mail.handler import deliver_mail

__all__ = ("DELIVER_MAIL",)

DELIVER_MAIL = PeriodicJob(
    name="deliver-mail",
    run=deliver_mail,
    interval_seconds=lambda settings: settings.mail_poll_seconds,
    wake_on=(MAIL_CHANNEL,),
    # Without SMTP_URL (tests that read the outbox themselves) messages wait in the outbox.
    enabled=lambda settings: settings.mail_sender_enabled and settings.smtp_url is not None,
)
