from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Connection
from src.core.http.problems import problem_responses
from src.core.runtime.mail import Mailer
from src.features.auth.verify_email.command import VerifyEmail
from src.features.auth.verify_email.handler import verify_email
from src.features.auth.verify_email.schema import VerifyEmailRequest

__all__ = ("verify_email_route",)


@post(
    "/verify-email",
    operation_id="verifyEmail",
    summary="Verify an e-mail address with the token of its link",
    description="The token comes from the link in a verification e-mail (sign-up, resend, or a change of "
    "address: the new address then becomes the account's, and the old one is told). A token works once, "
    "before it expires; a used, expired, unknown or foreign one is 400 `verification_token_invalid`. "
    "409 `email_taken` when another account took a new address meanwhile. No sign-in needed. "
    "Rate limited by the strict `auth` policy.",
    status_code=204,
    opt={"rate_limit": "auth"},
    responses=problem_responses(400, 409, 413, 415),
)
async def verify_email_route(
    data: JSONBody[VerifyEmailRequest], transaction: NamedDependency[Connection], mail: NamedDependency[Mailer]
) -> None:
    await verify_email(VerifyEmail(token=data.token), transaction=transaction, mail=mail)
