"""Per-person request limits: fixed one-minute windows, counted with one increment per request.

Counted in this process, or in Redis when several workers must share the counts
(`ENLACE_REDIS_URL`): there `INCR` and `EXPIRE ... NX` in one round trip keep the count exact
across workers (Redis 7 or later, for `EXPIRE ... NX`). A limiter that cannot count (Redis
unreachable) lets requests through rather than stop every phone's sync. Litestar's rate-limit
middleware was measured first: it rewrites a JSON list of
every request's time per request, under a lock, and cost a fifth of the outbox's throughput.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as redis

WINDOW_SECONDS = 60


class Limiter(Protocol):
    async def hit(self, key: str) -> int | None:
        """Count one request of `key`: None if allowed, else seconds until it may retry."""
        ...

    async def close(self) -> None: ...


class MemoryLimiter:
    """Counts in this process (one worker)."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.time) -> None:
        self.per_minute = per_minute
        self.clock = clock  # seconds since the epoch; tests pass one they control
        self.window = 0
        self.counts: dict[str, int] = {}  # key -> requests in the current window

    async def hit(self, key: str) -> int | None:
        now = self.clock()
        window = int(now // WINDOW_SECONDS)
        if window != self.window:
            # Windows are the same minute for everyone: a new one makes every count stale, so
            # memory holds only the keys of one minute.
            self.window, self.counts = window, {}
        count = self.counts.get(key, 0) + 1
        self.counts[key] = count
        if count > self.per_minute:
            return max(1, int((window + 1) * WINDOW_SECONDS - now))
        return None

    async def close(self) -> None:
        return None


class RedisLimiter:
    """Counts in Redis, shared by every worker that uses the same server."""

    def __init__(self, per_minute: int, url: str, namespace: str = "enlace-rate-limit") -> None:
        self.per_minute = per_minute
        self.client = redis.Redis.from_url(url)
        self.namespace = namespace

    async def hit(self, key: str) -> int | None:
        name = f"{self.namespace}:{key}"
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, WINDOW_SECONDS, nx=True)
            pipe.ttl(name)
            count, _, ttl = await pipe.execute()
        if int(count) > self.per_minute:
            return max(1, int(ttl))
        return None

    async def close(self) -> None:
        await self.client.aclose()


def open_limiter(
    per_minute: int, redis_url: str, clock: Callable[[], float] = time.time
) -> Limiter | None:
    """The limiter this deployment uses, or None when limits are off (`per_minute` 0)."""
    if per_minute <= 0:
        return None
    if redis_url:
        return RedisLimiter(per_minute, redis_url)
    return MemoryLimiter(per_minute, clock)
