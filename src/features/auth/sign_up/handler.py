"""Sign-up: one account per e-mail address, compared case-insensitively, and a link that
verifies the address mailed to it.

The address is unique among live accounts in the database itself (a partial unique
index), so two concurrent sign-ups with one address give one account and one 409. The
password is hashed before a connection is taken: no connection waits on Argon2. The
account, its verification token and the message with the link are written in one
transaction: a sign-up that fails sends nothing.
"""

from __future__ import annotations

import asyncpg

from src.core.data.database import Database
from src.core.data.rows import from_row
from src.core.errors import Conflict
from src.core.ids import new_id
from src.core.runtime.mail import Mailer
from src.core.security.passwords import PasswordHasher, refuse_weak_password
from src.core.settings import Settings
from src.core.text import normalize_email, tidy
from src.features.auth.account_mail import queue_verification
from src.features.auth.sign_up.command import SignUp
from src.features.auth.sign_up.queries import INSERT_USER
from src.features.auth.sign_up.schema import NewAccountResponse

__all__ = ("sign_up",)


async def sign_up(
    command: SignUp, *, database: Database, passwords: PasswordHasher, mail: Mailer, settings: Settings
) -> NewAccountResponse:
    email, display_name = normalize_email(command.email), tidy(command.display_name)
    refuse_weak_password(command.password, email=email, display_name=display_name, pointer="#/password")
    password_hash = await passwords.hash(command.password)
    async with database.transaction() as transaction:
        try:
            row = await transaction.fetchrow(INSERT_USER, new_id(), email, display_name, password_hash)
        except asyncpg.UniqueViolationError:
            raise Conflict("An account with this e-mail address already exists.", code="email_taken") from None
        assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row it inserted
        account = from_row(NewAccountResponse, row)
        await queue_verification(
            transaction,
            mail,
            user_id=account.id,
            email=email,
            display_name=display_name,
            ttl_seconds=settings.email_verification_ttl_seconds,
        )
    return account
