"""Begin enrolling TOTP: a new secret, sealed, pending until a code confirms it.

Needs the current password (a stolen session must not bind the account to the thief's
phone), checked against the account's budget of failed checks. The secret is returned
once, with its `otpauth://` URI and that URI drawn as a QR code here, by segno (off the
event loop): the secret never goes to a third-party QR service. Enrolling again before confirming
replaces the pending secret; with TOTP already on it is 409 `mfa_already_enabled`
(disable it first).
"""

from __future__ import annotations

import asyncio
import io

import segno

from src.core.data.database import Database
from src.core.errors import Conflict, NotFound
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.security.sealing import Sealer
from src.core.security.totp import new_secret, provisioning_uri, secret_context
from src.features.users.enrol_totp.command import EnrolTotp
from src.features.users.enrol_totp.queries import SELECT_ACCOUNT, UPSERT_PENDING_TOTP
from src.features.users.enrol_totp.schema import TotpEnrolment

__all__ = ("enrol_totp",)


def _already_enabled() -> Conflict:
    return Conflict("Two-factor sign-in is already on; disable it first to enrol again.", code="mfa_already_enabled")


def qr_svg(uri: str, *, title: str) -> str:
    """A standalone SVG document (with its XML namespace) of the URI as a QR code."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=4, border=4, xmldecl=False, title=title)
    return buffer.getvalue().decode()


async def enrol_totp(
    command: EnrolTotp,
    *,
    database: Database,
    passwords: PasswordHasher,
    password_checks: PasswordChecks,
    sealer: Sealer,
) -> TotpEnrolment:
    async with database.acquire() as connection:
        account = await connection.fetchrow(SELECT_ACCOUNT, command.user_id)
    if account is None:
        raise NotFound("This account no longer exists.")
    if account["totp_on"]:
        raise _already_enabled()
    await password_checks.require_current_password(
        user_id=command.user_id,
        stored_hash=account["password_hash"],
        password=command.current_password,
        passwords=passwords,
    )
    secret = new_secret()
    sealed = sealer.seal(secret.encode(), context=secret_context(command.user_id))
    async with database.acquire() as connection:
        if await connection.fetchval(UPSERT_PENDING_TOTP, command.user_id, sealed) is None:
            raise _already_enabled()  # confirmed meanwhile, from another session
    uri = provisioning_uri(secret, account_name=account["email"], issuer=command.issuer)
    # About 10 ms of CPU: in a thread, so the loop keeps serving meanwhile.
    drawn = await asyncio.to_thread(qr_svg, uri, title=f"{command.issuer} sign-in code")
    return TotpEnrolment(secret=secret, otpauth_uri=uri, qr_svg=drawn)
