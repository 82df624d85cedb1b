"""The outbox is rate limited per signed-in person (a venue shares one address), in this process
or, with several workers, in Redis."""

from __future__ import annotations

import os
from typing import Any

import pytest
import redis.asyncio as redis
from litestar.testing import AsyncTestClient
from msgspec import structs

from api.app import create_app
from api.settings import Settings
from api.sync.ratelimit import MemoryLimiter
from tests.conftest import arm_csrf
from tests.test_connections import LUCIA, PEDRO, event_with_people, scan, signed_in_client

pytestmark = pytest.mark.anyio
REDIS_URL = os.environ.get("ENLACE_TEST_REDIS", "redis://127.0.0.1:6379/0")
REQUIRE_REDIS = os.environ.get("ENLACE_REQUIRE_REDIS") == "1"


async def post_sync(client: AsyncTestClient[Any], token: str) -> Any:
    return await client.post("/api/sync", json={"operations": [scan(token)]})


async def test_each_person_has_their_own_outbox_limit(settings: Settings) -> None:
    tokens = await event_with_people(settings)
    limited = structs.replace(settings, sync_rate_per_minute=3)
    # Fifty seconds into a minute, for the whole test: its requests never straddle two windows.
    clock = lambda: 1_000_010.0  # noqa: E731
    async with (
        signed_in_client(limited, PEDRO, clock) as pedro,
        signed_in_client(limited, LUCIA, clock) as lucia,
    ):
        statuses = [(await post_sync(pedro, tokens[LUCIA])).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        refused = await post_sync(pedro, tokens[LUCIA])
        assert refused.json()["code"] == "rate_limited"
        assert refused.headers["retry-after"] == "10"  # seconds until the phone may retry
        assert "wait 10 seconds (see Retry-After)" in refused.json()["detail"]
        # Same address, another person: not counted against Pedro.
        assert (await post_sync(lucia, tokens[PEDRO])).status_code == 200
        # Other routes are not limited.
        assert (await pedro.get("/api/me")).status_code == 200


async def _redis_problem() -> str | None:
    client = redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except Exception as exc:  # unreachable: say why in the skip
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return None


async def test_workers_sharing_redis_share_the_limit(settings: Settings) -> None:
    problem = await _redis_problem()
    if problem:
        if REQUIRE_REDIS:
            pytest.fail(f"Redis is required but unreachable at {REDIS_URL}: {problem}")
        pytest.skip(f"Redis unreachable at {REDIS_URL} ({problem})")
    tokens = await event_with_people(settings)
    shared = structs.replace(settings, sync_rate_per_minute=4, redis_url=REDIS_URL)
    # Two workers: two apps, each with its own process state, one Redis.
    async with (
        signed_in_client(shared, PEDRO) as first,
        AsyncTestClient(app=create_app(shared)) as second,
    ):
        second.cookies.update(first.cookies)  # the same phone, its requests spread over workers
        await arm_csrf(second)
        statuses = [
            (await post_sync(client, tokens[LUCIA])).status_code
            for client in (first, second, first, second, first)
        ]
    assert statuses == [200, 200, 200, 200, 429]
    # Keys hold only a hash of the session cookie.
    client = redis.from_url(REDIS_URL)
    try:
        keys = [key.decode() async for key in client.scan_iter("enlace-rate-limit*")]
    finally:
        await client.aclose()
    cookie = first.cookies.get("enlace_session")
    assert keys and cookie and not any(cookie in key for key in keys)


async def test_counts_of_past_minutes_are_forgotten() -> None:
    now = [1_000_040.0]  # 20 s into a minute
    limiter = MemoryLimiter(per_minute=2, clock=lambda: now[0])
    for person in range(1000):  # each a new key (as junk cookies would be)
        assert await limiter.hit(f"session:{person}") is None
    assert [await limiter.hit("session:0"), await limiter.hit("session:0")] == [None, 40]
    now[0] += 60
    assert await limiter.hit("session:new") is None
    assert list(limiter.counts) == ["session:new"]  # memory holds one minute's keys
    assert await limiter.hit("session:0") is None  # and counts start again


async def test_an_unreachable_redis_lets_sync_go_on(settings: Settings) -> None:
    tokens = await event_with_people(settings)
    broken = structs.replace(settings, sync_rate_per_minute=1, redis_url="redis://127.0.0.1:1/0")
    async with signed_in_client(broken, PEDRO) as pedro:
        statuses = [(await post_sync(pedro, tokens[LUCIA])).status_code for _ in range(2)]
    assert statuses == [200, 200]
