"""The users feature's account e-mail templates (src/features/users/mail/)."""

from __future__ import annotations

from pathlib import Path
from typing import Final

from src.core.runtime.mail import MailTemplate

__all__ = ("CHANGE_EMAIL", "EMAIL_CHANGE_REQUESTED")

_TEMPLATES: Final = Path(__file__).parent / "mail"
CHANGE_EMAIL: Final = MailTemplate(_TEMPLATES, "change_email", subject="Confirm your new e-mail address")
EMAIL_CHANGE_REQUESTED: Final = MailTemplate(
    _TEMPLATES, "email_change_requested", subject="A change of your e-mail address was asked for"
)
