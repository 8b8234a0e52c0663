"""Ask for a password reset link: always 202, in the same time whether or not an account
has the address.

The same work happens either way: the message is rendered and one statement runs, which
writes the token and the message only for a live account (see QUEUE_RESET). Each target
address gets at most RATE_LIMIT_EMAIL links per window (counted by a hash of the
address, account or not); past it the request still answers 202 and queues nothing, so
the endpoint cannot flood a mailbox, nor tell by a 429 that an account exists. The route's
strict `auth` policy limits each client address too.
"""

from __future__ import annotations

import hashlib

from src.core.data.database import Database
from src.core.observability.logging import get_logger
from src.core.runtime.mail import Mailer, lifetime
from src.core.runtime.rate_counters import RateCounter, RatePolicy
from src.core.security.account_tokens import new_account_token
from src.core.settings import Settings
from src.core.text import normalize_email
from src.features.auth.account_mail import PASSWORD_RESET
from src.features.auth.request_password_reset.command import RequestPasswordReset
from src.features.auth.request_password_reset.queries import QUEUE_RESET

__all__ = ("request_password_reset",)

log = get_logger(component="auth")


async def request_password_reset(
    command: RequestPasswordReset,
    *,
    database: Database,
    mail: Mailer,
    rate_counter: RateCounter,
    settings: Settings,
) -> None:
    email = normalize_email(command.email)
    policy = RatePolicy.parse("email", settings.rate_limit_email)
    address_key = "mail:reset:" + hashlib.sha256(email.encode()).hexdigest()[:32]
    within_budget = (await rate_counter.hit(address_key, policy.window_seconds)).hits <= policy.limit
    if not within_budget:
        log.info("password_reset_suppressed", reason="rate_limit_email")
    ttl = settings.password_reset_ttl_seconds
    token, token_hash = new_account_token()
    message = PASSWORD_RESET.mail(
        kind="password_reset", to=email, link=mail.link("/reset-password", token), expires=lifetime(ttl)
    )
    prepared = mail.prepare(message)
    async with database.acquire() as connection:
        await connection.execute(
            QUEUE_RESET,
            email,
            token_hash,
            float(ttl),
            prepared.id,
            prepared.kind,
            prepared.recipient,
            prepared.message,
            prepared.request_id,
            prepared.traceparent,
            prepared.tracestate,
            within_budget,
        )
