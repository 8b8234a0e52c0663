"""The auth feature's account e-mail: its templates (src/features/auth/mail/), and the
verification link that sign-up and resending share.

A new verification token supersedes the open ones (one live link per account), and is
written in the caller's transaction with the message that carries it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from uuid import UUID

from src.core.data.database import Connection
from src.core.runtime.mail import Mailer, MailTemplate, lifetime
from src.core.security.account_tokens import new_account_token

__all__ = (
    "EMAIL_CHANGED",
    "PASSWORD_CHANGED",
    "PASSWORD_RESET",
    "VERIFY_EMAIL",
    "queue_verification",
)

_TEMPLATES: Final = Path(__file__).parent / "mail"
VERIFY_EMAIL: Final = MailTemplate(_TEMPLATES, "verify_email", subject="Confirm your e-mail address")
PASSWORD_RESET: Final = MailTemplate(_TEMPLATES, "password_reset", subject="Reset your password")
PASSWORD_CHANGED: Final = MailTemplate(_TEMPLATES, "password_changed", subject="Your password was reset")
EMAIL_CHANGED: Final = MailTemplate(_TEMPLATES, "email_changed", subject="Your e-mail address was changed")

# The open verification tokens give way to the new one, which is inserted beside them.
ISSUE_VERIFICATION_TOKEN: Final = """
WITH superseded AS (
    UPDATE account_tokens SET used_at = now()
    WHERE user_id = $1 AND purpose = 'verify_email' AND used_at IS NULL
)
INSERT INTO account_tokens (token_hash, user_id, purpose, email, expires_at)
VALUES ($2, $1, 'verify_email', $3, now() + make_interval(secs => $4))
"""


async def queue_verification(
    connection: Connection,
    mail: Mailer,
    *,
    user_id: UUID,
    email: str,
    display_name: str,
    ttl_seconds: int,
) -> None:
    """A verification token for `email` and the message with its link, in the caller's transaction."""
    token, token_hash = new_account_token()
    await connection.execute(ISSUE_VERIFICATION_TOKEN, user_id, token_hash, email, float(ttl_seconds))
    message = VERIFY_EMAIL.mail(
        kind="verify_email",
        to=email,
        user_id=user_id,
        display_name=display_name,
        link=mail.link("/verify-email", token),
        expires=lifetime(ttl_seconds),
    )
    await mail.queue(connection, message)
