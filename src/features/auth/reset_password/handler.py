"""Set a new password with the token of a reset link: every session ends, the token and
any other open reset link of the account are spent, and the account's address is told.

The new password follows the sign-up rules (400 `weak_password`, and the token stays
usable for a better one). A used, expired, unknown or foreign (a verification link's)
token is 400 `reset_token_invalid`. No connection is held while Argon2 runs. A second
factor, when the account has one, still applies at the next sign-in: a reset never
skips it.
"""

from __future__ import annotations

from src.core.data.database import Database
from src.core.errors import InvalidInput
from src.core.runtime.mail import Mailer
from src.core.security.account_tokens import hash_account_token
from src.core.security.passwords import PasswordHasher, refuse_weak_password
from src.features.auth.account_mail import PASSWORD_CHANGED
from src.features.auth.reset_password.command import ResetPassword
from src.features.auth.reset_password.queries import (
    DELETE_MFA_CHALLENGES,
    REVOKE_ALL_SESSIONS,
    SELECT_TOKEN_ACCOUNT,
    SET_PASSWORD,
    SPEND_OTHER_RESET_TOKENS,
    SPEND_TOKEN,
)

__all__ = ("reset_password",)


def _invalid() -> InvalidInput:
    return InvalidInput(
        "This reset link is not valid: it was used already, it expired, or it is not a reset link. Ask for a new one.",
        code="reset_token_invalid",
    )


async def reset_password(
    command: ResetPassword, *, database: Database, passwords: PasswordHasher, mail: Mailer
) -> None:
    token_hash = hash_account_token(command.token)
    async with database.acquire() as connection:
        account = await connection.fetchrow(SELECT_TOKEN_ACCOUNT, token_hash)
    if account is None:
        raise _invalid()
    refuse_weak_password(
        command.new_password, email=account["email"], display_name=account["display_name"], pointer="#/new_password"
    )
    new_hash = await passwords.hash(command.new_password)
    async with database.transaction() as transaction:
        spent = await transaction.fetchrow(SPEND_TOKEN, token_hash)
        if spent is None:  # spent by a concurrent confirmation meanwhile
            raise _invalid()
        user_id = spent["user_id"]
        changed = await transaction.fetchrow(SET_PASSWORD, user_id, new_hash, spent["email"])
        if changed is None:  # deleted or suspended meanwhile
            raise _invalid()
        await transaction.execute(REVOKE_ALL_SESSIONS, user_id)
        await transaction.execute(SPEND_OTHER_RESET_TOKENS, user_id)
        await transaction.execute(DELETE_MFA_CHALLENGES, user_id)
        notice = PASSWORD_CHANGED.mail(
            kind="password_changed", to=changed["email"], user_id=user_id, display_name=changed["display_name"]
        )
        await mail.queue(transaction, notice)
