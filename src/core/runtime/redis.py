"""The optional Redis/Valkey client (REDIS_URL): shared rate-limit counters.

Every call is bounded by REDIS_TIMEOUT. Nothing in the service needs Redis to serve a
request: when it is away, callers fall back (see `core.http.rate_limit`). Without REDIS_URL
this module is never imported, nor is the redis library (5 MiB and 0.1 s of start-up).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any, Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.core.observability.logging import get_logger
from src.core.observability.metrics import RATE_LIMIT_STORE_ERRORS
from src.core.runtime.rate_counters import Hit, MemoryRateCounter, RateCounter
from src.core.settings import Settings

if TYPE_CHECKING:
    from redis.commands.core import AsyncScript

    from src.core.observability.tracing import Tracing

__all__ = ("RedisRateCounter", "create_redis", "redis_answers")

log = get_logger(component="rate_limit")

# Atomic: the first hit of a window sets its expiry; every hit returns (count, ms left).
_HIT_SCRIPT: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


# Atomic too: a window that has ended (the key expired) has nothing to give back.
_GIVE_BACK_SCRIPT: Final = """
if redis.call('GET', KEYS[1]) and tonumber(redis.call('GET', KEYS[1])) > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


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


class RedisRateCounter(RateCounter):
    """Shared fixed windows in Redis/Valkey, with a short circuit-breaker to memory."""

    __slots__ = (
        "_fallback",
        "_give_back",
        "_prefix",
        "_retry_after_failure",
        "_script",
        "_server",
        "_skip_until",
        "_tracing",
    )

    def __init__(
        self,
        redis: Redis,
        *,
        key_prefix: str,
        fallback: MemoryRateCounter,
        retry_after_failure: float = 5.0,
        tracing: Tracing | None = None,
    ) -> None:
        self._prefix = f"{key_prefix}rate:"
        self._script = redis.register_script(_HIT_SCRIPT)
        self._give_back = redis.register_script(_GIVE_BACK_SCRIPT)
        self._fallback = fallback
        self._retry_after_failure = retry_after_failure
        self._skip_until = 0.0
        self._tracing = tracing
        options = redis.connection_pool.connection_kwargs
        self._server: dict[str, str | int] = {
            "db.system.name": "redis",
            "db.operation.name": "EVALSHA",
            "server.address": str(options.get("host", options.get("path", ""))),
            "server.port": int(options.get("port", 0) or 0),
        }

    async def _run(self, script: AsyncScript, name: str, keys: list[str], args: list[Any] | None = None) -> Any:
        """One script call, as a client span when tracing is on (the key is not recorded:
        it holds addresses and user ids)."""
        if self._tracing is None:
            return await script(keys=keys, args=args)
        with self._tracing.client_span(f"EVALSHA {name}", self._server):
            return await script(keys=keys, args=args)

    async def hit(self, key: str, window_seconds: int) -> Hit:
        if time.monotonic() < self._skip_until:
            return self._fallback.hit_now(key, window_seconds)
        try:
            count, ttl_ms = await self._run(self._script, "hit", [self._prefix + key], [window_seconds * 1000])
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return self._fallback.hit_now(key, window_seconds)
        return Hit(hits=int(count), reset_after=int(ttl_ms) / 1000)

    async def give_back(self, key: str) -> None:
        if time.monotonic() < self._skip_until:
            self._fallback.give_back_now(key)
            return
        try:
            await self._run(self._give_back, "give_back", [self._prefix + key])
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            self._fallback.give_back_now(key)

    def _failed(self, exc: Exception) -> None:
        """Serve anyway; don't pay a timeout on every request while Redis is away."""
        self._skip_until = time.monotonic() + self._retry_after_failure
        RATE_LIMIT_STORE_ERRORS.inc()
        log.warning("rate_limit_store_unavailable", error=type(exc).__name__, fallback="worker_memory")
