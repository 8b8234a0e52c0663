"""Two-factor sign-in from the outside: an authenticator app (pyotp) and the HTTP steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pyotp

from src.core.clock import utc_now
from tests.support.accounts import Account, log_in

__all__ = ("Authenticator", "EnrolledAccount", "complete_login", "enrol", "start_login")

MFA = "/api/v1/users/me/mfa"
LOGIN_MFA = "/api/v1/auth/login/mfa"


@dataclass
class Authenticator:
    """The app on the phone: codes computed with pyotp, each for a time step later than
    the last one it handed out (the service accepts each step once). With a window of 2
    or more it keeps one step of slack at each end, so a 30 s boundary passing between
    here and the service changes nothing."""

    secret: str
    window: int
    last_step: int | None = None

    def code(self) -> str:
        totp = pyotp.TOTP(self.secret)
        now = utc_now()
        current = totp.timecode(now)
        slack = 1 if self.window >= 2 else 0
        lowest = current - self.window + slack
        step = lowest if self.last_step is None else max(self.last_step + 1, lowest)
        assert step <= current + self.window - slack, (
            "no fresh time step left in the window: wait, or use a backup code"
        )
        self.last_step = step
        return totp.at(now, counter_offset=step - current)

    def wrong_code(self) -> str:
        """Six digits no step of the window has (so a test's wrong code is never right by luck)."""
        totp = pyotp.TOTP(self.secret)
        now = utc_now()
        valid = {totp.at(now, counter_offset=offset) for offset in range(-self.window - 1, self.window + 2)}
        return next(candidate for n in range(1_000_000) if (candidate := f"{n:06d}") not in valid)


@dataclass
class EnrolledAccount:
    account: Account
    app: Authenticator
    backup_codes: list[str] = field(default_factory=list)


async def enrol(client: httpx.AsyncClient, account: Account, *, window: int) -> EnrolledAccount:
    """Enrol and confirm TOTP for `account` (its session stays signed in)."""
    enrolment = await client.post(f"{MFA}/totp", json={"current_password": account.password}, headers=account.headers)
    assert enrolment.status_code == 201, enrolment.text
    app = Authenticator(enrolment.json()["secret"], window=window)
    confirmed = await client.post(f"{MFA}/totp/confirm", json={"code": app.code()}, headers=account.headers)
    assert confirmed.status_code == 200, confirmed.text
    return EnrolledAccount(account=account, app=app, backup_codes=confirmed.json()["backup_codes"])


async def start_login(client: httpx.AsyncClient, account: Account) -> dict[str, Any]:
    """The password step of an account with TOTP on: the 403 `mfa_required` body."""
    response = await log_in(client, account.email, account.password)
    assert response.status_code == 403, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "mfa_required"
    return body


async def complete_login(client: httpx.AsyncClient, mfa_token: str, code: str) -> httpx.Response:
    return await client.post(LOGIN_MFA, json={"mfa_token": mfa_token, "code": code})
