"""Rate limits with ``limits`` (moving windows), in memory or on Redis when configured."""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from app.core.errors import RateLimited


def make_limiter(redis_url: str | None) -> MovingWindowRateLimiter:
    storage = storage_from_string("async+" + redis_url) if redis_url else MemoryStorage()
    assert isinstance(storage, Storage)
    return MovingWindowRateLimiter(storage)


def client_key(host: str | None, secret_key: str) -> str:
    # Addresses are never kept in the clear, not even in the limiter's memory or Redis.
    return hashlib.sha256(f"{secret_key}:{host or '-'}".encode()).hexdigest()[:32]


async def retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem,
                      *identifiers: str) -> int:
    stats = await limiter.get_window_stats(item, *identifiers)
    return max(1, math.ceil(stats.reset_time - time.time()))


async def hit_or_raise(limiter: MovingWindowRateLimiter, item: RateLimitItem, *identifiers: str,
                       detail: str) -> None:
    if not await limiter.hit(item, *identifiers):
        raise RateLimited(detail, retry_after=await retry_after(limiter, item, *identifiers))
