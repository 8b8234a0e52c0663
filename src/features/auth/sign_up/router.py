from __future__ import annotations

from litestar import Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.api_contract import sends_headers
from src.core.http.problems import problem_responses
from src.core.runtime.mail import Mailer
from src.core.security.passwords import PasswordHasher
from src.core.settings import Settings
from src.core.text import check_password_size
from src.features.auth.sign_up.command import SignUp
from src.features.auth.sign_up.handler import sign_up
from src.features.auth.sign_up.schema import NewAccountResponse, SignUpRequest

__all__ = ("sign_up_route",)


@post(
    "/sign-up",
    operation_id="signUp",
    summary="Create an account",
    description="The e-mail address is unique, compared case-insensitively (409 `email_taken`). A link that "
    "verifies the address is mailed to it (`POST /auth/verify-email`); until then the account may not create "
    "or ping webhooks. Rate limited by the strict `auth` policy.",
    status_code=201,
    response_headers=sends_headers("Location"),
    opt={"rate_limit": "auth"},
    responses=problem_responses(400, 409, 413, 415),
)
async def sign_up_route(
    data: JSONBody[SignUpRequest],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    mail: NamedDependency[Mailer],
    settings: NamedDependency[Settings],
) -> Response[NewAccountResponse]:
    check_password_size(data.password, pointer="#/password")
    command = SignUp(email=data.email, password=data.password, display_name=data.display_name)
    account = await sign_up(command, database=database, passwords=passwords, mail=mail, settings=settings)
    return Response(account, status_code=201, headers={"Location": "/api/v1/users/me"})
