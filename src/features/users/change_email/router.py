from __future__ import annotations

from litestar import Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.runtime.mail import Mailer
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.rate_counters import RateCounter
from src.core.security.passwords import PasswordHasher
from src.core.settings import Settings
from src.features.users.change_email.command import ChangeEmail
from src.features.users.change_email.handler import change_email
from src.features.users.change_email.schema import ChangeEmailRequest, EmailChangePending

__all__ = ("change_email_route",)


@post(
    "/me/email",
    operation_id="changeMyEmail",
    summary="Move your account to another e-mail address",
    description="Needs the current password (403 `wrong_password`, counted against the account's budget of "
    "failed logins). A confirmation link goes to the new address; the change takes effect only when it is "
    "used (`POST /auth/verify-email`), and the current address is told. 409 `email_unchanged` or "
    "`email_taken`; at most `RATE_LIMIT_EMAIL` per account (429 `too_many_emails`).",
    status_code=202,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415, 429),
)
async def change_email_route(
    data: JSONBody[ChangeEmailRequest],
    user: NamedDependency[SessionPrincipal],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    password_checks: NamedDependency[PasswordChecks],
    mail: NamedDependency[Mailer],
    rate_counter: NamedDependency[RateCounter],
    settings: NamedDependency[Settings],
) -> Response[EmailChangePending]:
    command = ChangeEmail(user_id=user.user_id, new_email=data.new_email, current_password=data.current_password)
    pending = await change_email(
        command,
        database=database,
        passwords=passwords,
        password_checks=password_checks,
        mail=mail,
        rate_counter=rate_counter,
        settings=settings,
    )
    return Response(pending, status_code=202)
