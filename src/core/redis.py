"""The optional Redis/Valkey client (REDIS_URL): shared rate-limit counters.

Every call is bounded by REDIS_TIMEOUT. Nothing in the service needs Redis to serve a
request: when it is away, callers fall back (see `core.rate_limit`).
"""

from __future__ import annotations

from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.core.settings import Settings

__all__ = ("create_redis", "redis_answers")


def create_redis(settings: Settings, url: str) -> Redis:
    redis: Redis = Redis.from_url(
        url,
        socket_timeout=settings.redis_timeout,
        socket_connect_timeout=settings.redis_timeout,
        health_check_interval=30,
        client_name="avatar-api",
    )
    return redis


async def redis_answers(redis: Redis) -> bool:
    try:
        return bool(await redis.ping())
    except (RedisError, OSError, TimeoutError):
        return False
