from __future__ import annotations

from litestar import Response, post
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.runtime.mail import Mailer
from src.core.runtime.rate_counters import RateCounter
from src.core.settings import Settings
from src.features.auth.resend_verification.command import ResendVerification
from src.features.auth.resend_verification.handler import resend_verification
from src.features.auth.resend_verification.schema import VerificationSent

__all__ = ("resend_verification_route",)


@post(
    "/verify-email/resend",
    operation_id="resendVerificationEmail",
    summary="Send the verification link again",
    description="A new link to the account's address (the earlier ones stop working). 409 "
    "`email_already_verified` when there is nothing to verify; at most `RATE_LIMIT_EMAIL` per account "
    "(429 `too_many_emails`).",
    status_code=202,
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 404, 409, 429),
)
async def resend_verification_route(
    user: NamedDependency[SessionPrincipal],
    transaction: NamedDependency[Connection],
    mail: NamedDependency[Mailer],
    rate_counter: NamedDependency[RateCounter],
    settings: NamedDependency[Settings],
) -> Response[VerificationSent]:
    sent = await resend_verification(
        ResendVerification(user_id=user.user_id),
        transaction=transaction,
        mail=mail,
        rate_counter=rate_counter,
        settings=settings,
    )
    return Response(sent, status_code=202)
