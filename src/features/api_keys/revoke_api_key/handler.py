"""Revoke an API key: refused at once by this worker, by every other within a second
(`VerifiedKeys`' time), and at once by any of them for writes."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import NotFound
from src.core.security.api_keys import VerifiedKeys
from src.features.api_keys.revoke_api_key.command import RevokeApiKey
from src.features.api_keys.revoke_api_key.queries import REVOKE_API_KEY

__all__ = ("revoke_api_key",)


async def revoke_api_key(command: RevokeApiKey, *, transaction: Connection, verified_keys: VerifiedKeys) -> None:
    if await transaction.fetchval(REVOKE_API_KEY, command.key_id, command.user_id) is None:
        raise NotFound("You have no API key with this id.")
    verified_keys.forget(command.key_id)
