"""Move the account to another address: it needs the current password (counted against
the account's budget of failed checks, as login), and it takes effect only when the new
address is verified with the link sent to it (`POST /auth/verify-email`). The current
address is told at once, and again when the change is made.

409 `email_unchanged` for the account's own address, `email_taken` for another live
account's. At most RATE_LIMIT_EMAIL requests per account per window (429
`too_many_emails`): each sends mail.
"""

from __future__ import annotations

from src.core.data.database import Database
from src.core.errors import Conflict, NotFound
from src.core.runtime.mail import Mailer, lifetime
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.rate_counters import RateCounter, RatePolicy, charge
from src.core.security.account_tokens import new_account_token
from src.core.security.passwords import PasswordHasher
from src.core.settings import Settings
from src.core.text import normalize_email
from src.features.users.account_mail import CHANGE_EMAIL, EMAIL_CHANGE_REQUESTED
from src.features.users.change_email.command import ChangeEmail
from src.features.users.change_email.queries import ADDRESS_TAKEN, ISSUE_CHANGE_TOKEN, SELECT_ACCOUNT
from src.features.users.change_email.schema import EmailChangePending

__all__ = ("change_email",)


async def change_email(
    command: ChangeEmail,
    *,
    database: Database,
    passwords: PasswordHasher,
    password_checks: PasswordChecks,
    mail: Mailer,
    rate_counter: RateCounter,
    settings: Settings,
) -> EmailChangePending:
    new_email = normalize_email(command.new_email)
    async with database.acquire() as connection:
        account = await connection.fetchrow(SELECT_ACCOUNT, command.user_id)
    if account is None:
        raise NotFound("This account no longer exists.")
    await password_checks.require_current_password(
        user_id=command.user_id,
        stored_hash=account["password_hash"],
        password=command.current_password,
        passwords=passwords,
    )
    if new_email == account["email"]:
        raise Conflict("This is the account's address already.", code="email_unchanged")
    await charge(
        rate_counter,
        RatePolicy.parse("email", settings.rate_limit_email),
        f"mail:change:{command.user_id}",
        code="too_many_emails",
        detail="Enough address changes were asked for this account for now; wait before asking again.",
    )
    ttl = settings.email_change_ttl_seconds
    token, token_hash = new_account_token()
    display_name = account["display_name"]
    async with database.transaction() as transaction:
        if await transaction.fetchval(ADDRESS_TAKEN, new_email):
            raise Conflict("Another account has this address.", code="email_taken")
        await transaction.execute(ISSUE_CHANGE_TOKEN, command.user_id, token_hash, new_email, float(ttl))
        link = CHANGE_EMAIL.mail(
            kind="change_email",
            to=new_email,
            user_id=command.user_id,
            display_name=display_name,
            link=mail.link("/verify-email", token),
            expires=lifetime(ttl),
        )
        await mail.queue(transaction, link)
        notice = EMAIL_CHANGE_REQUESTED.mail(
            kind="email_change_requested",
            to=account["email"],
            user_id=command.user_id,
            display_name=display_name,
            new_email=new_email,
        )
        await mail.queue(transaction, notice)
    return EmailChangePending(expires_in=ttl)
