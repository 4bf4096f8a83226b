"""Long work on the event loop, a slice at a time.

A request that works through thousands of rows on the event loop holds every other request
of its process meanwhile, redirects included (issue 13: a 6,000-row user import held them
for a second). Moving the work to a thread does not help: Python runs one thread at a time,
and the loop then gets its turn only every few milliseconds, for each step of a redirect.
So such work runs on the loop in slices and lets the loop run between them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import TypeVar

from pydantic import BaseModel

T = TypeVar("T")

# Rows per statement: a few milliseconds of the driver's work each.
SLICE = 250
# The longest the loop is held between turns by work handed out by ``each``.
TURN_SECONDS = 0.005


async def in_slices(items: Sequence[T], size: int = SLICE) -> AsyncIterator[Sequence[T]]:
    """``items`` a slice at a time; the event loop runs between slices."""
    for start in range(0, len(items), size):
        if start:
            await asyncio.sleep(0)
        yield items[start:start + size]


async def each(items: Iterable[T], seconds: float = TURN_SECONDS) -> AsyncIterator[T]:
    """Every item of ``items``; the event loop runs whenever ``seconds`` have gone by since
    it last ran (items cost from microseconds to a millisecond: time, not counts)."""
    clock = time.perf_counter
    until = clock() + seconds
    for item in items:
        yield item
        if clock() >= until:
            await asyncio.sleep(0)
            until = clock() + seconds


async def json_array(items: Sequence[BaseModel]) -> bytes:
    """``items`` as a JSON array, serialised a slice at a time (for a response of
    thousands: FastAPI would serialise it in one go)."""
    parts = [b",".join(item.__pydantic_serializer__.to_json(item) for item in some)
             async for some in in_slices(items)]
    return b"[" + b",".join(part for part in parts if part) + b"]"
