"""Send the verification link again (a new one: the earlier links stop working).

At most RATE_LIMIT_EMAIL messages per account per window (429 `too_many_emails`): the
endpoint sends mail to an address, so it must not become a way to flood one.
"""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import Conflict, NotFound
from src.core.runtime.mail import Mailer
from src.core.runtime.rate_counters import RateCounter, RatePolicy, charge
from src.core.settings import Settings
from src.features.auth.account_mail import queue_verification
from src.features.auth.resend_verification.command import ResendVerification
from src.features.auth.resend_verification.queries import SELECT_ACCOUNT
from src.features.auth.resend_verification.schema import VerificationSent

__all__ = ("resend_verification",)


async def resend_verification(
    command: ResendVerification,
    *,
    transaction: Connection,
    mail: Mailer,
    rate_counter: RateCounter,
    settings: Settings,
) -> VerificationSent:
    account = await transaction.fetchrow(SELECT_ACCOUNT, command.user_id)
    if account is None:
        raise NotFound("This account no longer exists.")
    if account["verified"]:
        raise Conflict("This account's address is verified already.", code="email_already_verified")
    await charge(
        rate_counter,
        RatePolicy.parse("email", settings.rate_limit_email),
        f"mail:verify:{command.user_id}",
        code="too_many_emails",
        detail="Enough verification e-mail was sent to this account for now; wait before asking again.",
    )
    ttl = settings.email_verification_ttl_seconds
    await queue_verification(
        transaction,
        mail,
        user_id=command.user_id,
        email=account["email"],
        display_name=account["display_name"],
        ttl_seconds=ttl,
    )
    return VerificationSent(expires_in=ttl)
