"""Create an API key: shown once, stored as its SHA-256; at most `MAX_LIVE_KEYS` per account."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import msgspec

from src.core.clock import utc_now
from src.core.data.database import Connection
from src.core.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from src.core.ids import new_id
from src.core.security.api_keys import hash_api_key, lookup_of, new_api_key
from src.core.security.roles import at_least
from src.features.api_keys.create_api_key.command import CreateApiKey
from src.features.api_keys.create_api_key.queries import INSERT_API_KEY, LOCK_OWNER
from src.features.api_keys.create_api_key.schema import CreatedApiKey
from src.features.api_keys.read_model import api_key_view

__all__ = ("MAX_LIFETIME", "MAX_LIVE_KEYS", "create_api_key")

MAX_LIVE_KEYS: Final = 20
MAX_LIFETIME: Final = timedelta(days=366)


def _check_expiry(command: CreateApiKey) -> None:
    if command.expires_at is None:
        return
    now = utc_now()
    if not now < command.expires_at <= now + MAX_LIFETIME:
        detail = "Expected a time in the future, within a year"
        raise InvalidInput(detail, errors=(FieldError(pointer="#/expires_at", detail=detail),))


async def create_api_key(command: CreateApiKey, *, transaction: Connection) -> CreatedApiKey:
    _check_expiry(command)
    owner = await transaction.fetchrow(LOCK_OWNER, command.user_id)
    if owner is None:
        raise NotFound("This account no longer exists.")
    if "admin" in command.scopes and not at_least(owner["role"], "moderator"):
        raise Forbidden("Only moderators and admins may give a key the `admin` scope.", code="insufficient_role")
    if owner["live"] >= MAX_LIVE_KEYS:
        raise Conflict(
            f"You have {MAX_LIVE_KEYS} live API keys, the most allowed: revoke one first.", code="api_key_limit"
        )
    key = new_api_key()
    row = await transaction.fetchrow(
        INSERT_API_KEY,
        new_id(),
        command.user_id,
        command.name,
        lookup_of(key),
        hash_api_key(key),
        sorted(command.scopes),
        command.expires_at,
    )
    assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row
    return CreatedApiKey(**msgspec.structs.asdict(api_key_view(row)), key=key)
