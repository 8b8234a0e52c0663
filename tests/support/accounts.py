"""Account factories: unique data per test, made through the public API."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from src.core.ids import new_id
from src.core.security.tokens import hash_refresh_token

__all__ = (
    "Account",
    "age_refresh_spend",
    "bearer",
    "delete_account",
    "log_in",
    "new_account",
    "new_accounts",
    "sign_up",
    "unique_email",
)

PASSWORD = "correct horse battery staple"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{new_id().hex[-12:]}@example.com"


def bearer(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


@dataclass
class Account:
    id: str
    email: str
    password: str
    tokens: dict[str, Any]

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.tokens["access_token"])

    @property
    def refresh_token(self) -> str:
        token: str = self.tokens["refresh_token"]
        return token


async def sign_up(
    client: httpx.AsyncClient, *, email: str | None = None, password: str = PASSWORD, display_name: str = "Ada"
) -> httpx.Response:
    body = {"email": email or unique_email(), "password": password, "display_name": display_name}
    return await client.post("/api/v1/auth/sign-up", json=body)


async def log_in(client: httpx.AsyncClient, email: str, password: str = PASSWORD, **headers: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"email": email, "password": password}, headers=headers)


async def delete_account(client: httpx.AsyncClient, account: Account, password: str | None = None) -> httpx.Response:
    """DELETE /users/me, which asks for the current password again."""
    body = {"current_password": account.password if password is None else password}
    return await client.request("DELETE", "/api/v1/users/me", json=body, headers=account.headers)


async def new_account(client: httpx.AsyncClient, *, password: str = PASSWORD, display_name: str = "Ada") -> Account:
    """A signed-up account with a logged-in session."""
    email = unique_email()
    created = await sign_up(client, email=email, password=password, display_name=display_name)
    assert created.status_code == 201, created.text
    logged_in = await log_in(client, email, password)
    assert logged_in.status_code == 200, logged_in.text
    return Account(id=created.json()["id"], email=email, password=password, tokens=logged_in.json())


async def new_accounts(client: httpx.AsyncClient, count: int, *, at_once: int = 16) -> list[Account]:
    """Many accounts, made a few at a time: sign-ups queue on the bounded password hasher."""
    limit = asyncio.Semaphore(at_once)

    async def one() -> Account:
        async with limit:
            return await new_account(client)

    return list(await asyncio.gather(*(one() for _ in range(count))))


async def age_refresh_spend(dsn: str, token: str, *, seconds: int) -> None:
    """As if the refresh token had been rotated `seconds` ago (past the grace window)."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "UPDATE refresh_tokens SET used_at = used_at - $2::interval WHERE token_hash = $1",
            hash_refresh_token(token),
            timedelta(seconds=seconds),
        )
    finally:
        await connection.close()
