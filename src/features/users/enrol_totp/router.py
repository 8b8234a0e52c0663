from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.security.sealing import Sealer
from src.core.settings import Settings
from src.features.users.enrol_totp.command import EnrolTotp
from src.features.users.enrol_totp.handler import enrol_totp
from src.features.users.enrol_totp.schema import EnrolTotpRequest, TotpEnrolment

__all__ = ("enrol_totp_route",)


@post(
    "/me/mfa/totp",
    operation_id="enrolTotp",
    summary="Begin two-factor sign-in: a TOTP secret and its QR code",
    description="Needs the current password (403 `wrong_password`; wrong ones count against the account's budget "
    "of failed logins). Returns the secret once, as base32, as an `otpauth://` URI and as a QR code (SVG): add it "
    "to an authenticator app, then confirm with `POST /users/me/mfa/totp/confirm`; until then logins do not ask "
    "for a code. Enrolling again before confirming replaces the secret; 409 `mfa_already_enabled` once it is on. "
    "A session's access token only (403 `api_key_not_allowed` for an API key).",
    status_code=201,
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 403, 404, 409, 413, 415),
)
async def enrol_totp_route(
    data: JSONBody[EnrolTotpRequest],
    user: NamedDependency[SessionPrincipal],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    password_checks: NamedDependency[PasswordChecks],
    sealer: NamedDependency[Sealer],
    settings: NamedDependency[Settings],
) -> TotpEnrolment:
    command = EnrolTotp(user_id=user.user_id, current_password=data.current_password, issuer=settings.totp_issuer)
    return await enrol_totp(
        command, database=database, passwords=passwords, password_checks=password_checks, sealer=sealer
    )
