"""Verify an address with the token of its link: sign-up's address, or a new address the
account asked to move to (which only now becomes the account's, and the old address is
told).

A token works once, before it expires, for the purposes it was issued for: a replayed,
expired, unknown or foreign (a password reset's) token is the same 400
`verification_token_invalid`, which tells nothing about which tokens exist.
"""

from __future__ import annotations

import asyncpg

from src.core.data.database import Connection
from src.core.errors import Conflict, InvalidInput
from src.core.runtime.mail import Mailer
from src.core.security.account_tokens import hash_account_token
from src.features.auth.account_mail import EMAIL_CHANGED
from src.features.auth.verify_email.command import VerifyEmail
from src.features.auth.verify_email.queries import (
    CHANGE_ADDRESS,
    SPEND_OTHER_CHANGE_TOKENS,
    SPEND_TOKEN,
    VERIFY_ADDRESS,
)

__all__ = ("verify_email",)


def _invalid() -> InvalidInput:
    return InvalidInput(
        "This link is not valid: it was used already, it expired, or it is not a verification link. Ask for a new one.",
        code="verification_token_invalid",
    )


async def verify_email(command: VerifyEmail, *, transaction: Connection, mail: Mailer) -> None:
    spent = await transaction.fetchrow(SPEND_TOKEN, hash_account_token(command.token))
    if spent is None:
        raise _invalid()
    user_id, email = spent["user_id"], spent["email"]
    if spent["purpose"] == "verify_email":
        if await transaction.execute(VERIFY_ADDRESS, user_id, email) == "UPDATE 0":
            raise _invalid()  # the account moved to another address, or is gone
        return
    try:
        changed = await transaction.fetchrow(CHANGE_ADDRESS, user_id, email)
    except asyncpg.UniqueViolationError:
        raise Conflict("Another account has taken this address meanwhile.", code="email_taken") from None
    if changed is None:
        raise _invalid()
    await transaction.execute(SPEND_OTHER_CHANGE_TOKENS, user_id)
    notice = EMAIL_CHANGED.mail(
        kind="email_changed",
        to=changed["old_email"],
        user_id=user_id,
        display_name=changed["display_name"],
        new_email=email,
    )
    await mail.queue(transaction, notice)
