"""Long work on the event loop, a slice at a time.

A request that works through thousands of rows on the event loop holds every other request
of its process meanwhile, redirects included (issue 13: a 6,000-row user import held them
for a second). Moving the work to a thread does not help: Python runs one thread at a time,
and the loop then gets its turn only every few milliseconds, for each step of a redirect.
So such work runs on the loop in slices and lets the loop run between them, and lets the
process's other threads run too (see ``THREADS_SECONDS``).
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
# The longest the loop is held between turns by work handed out by ``each``: a redirect
# takes a few turns (request, hand-over to the click writer, answer).
TURN_SECONDS = 0.002
# How long each turn also leaves Python to the process's other threads. The loop's own turn
# lets go of the GIL for microseconds only (its poll of the sockets), and every such release
# restarts the wait of a thread asking for the GIL (sys.getswitchinterval, 5 ms), so under
# sliced work a thread of the process (the SQLite driver's, which every query of a redirect
# goes through) waited 100-300 ms for it, and redirects with it (issue 13). A sleep this
# long lets the operating system wake that thread first.
THREADS_SECONDS = 0.0002


async def in_slices(items: Sequence[T], size: int = SLICE) -> AsyncIterator[Sequence[T]]:
    """``items`` a slice at a time; the event loop runs between slices."""
    for start in range(0, len(items), size):
        if start:
            await _turn()
        yield items[start:start + size]


async def each(items: Iterable[T], seconds: float = TURN_SECONDS) -> AsyncIterator[T]:
    """Every item of ``items``; the event loop runs whenever ``seconds`` have gone by since
    it last ran (items cost from microseconds to a millisecond: time, not counts)."""
    clock = time.perf_counter
    until = clock() + seconds
    for item in items:
        yield item
        if clock() >= until:
            await _turn()
            until = clock() + seconds


async def _turn() -> None:
    """A turn for the loop's other tasks, then a moment for the process's other threads."""
    await asyncio.sleep(0)
    let_other_threads_run()


def let_other_threads_run() -> None:
    time.sleep(THREADS_SECONDS)  # lets go of the GIL


async def json_array(items: Sequence[BaseModel]) -> bytes:
    """``items`` as a JSON array, serialised a slice at a time (for a response of
    thousands: FastAPI would serialise it in one go)."""
    parts = [b",".join(item.__pydantic_serializer__.to_json(item) for item in some)
             async for some in in_slices(items)]
    return b"[" + b",".join(part for part in parts if part) + b"]"
