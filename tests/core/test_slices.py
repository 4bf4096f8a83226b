"""``app.core.slices``: long work on the event loop lets the loop run between slices."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import BaseModel, TypeAdapter

from app.core import slices
from app.core.slices import each, in_slices, json_array


class Item(BaseModel):
    n: int
    name: str


async def _turns_during(work: asyncio.Task[object]) -> int:
    turns = 0
    while not work.done():
        turns += 1
        await asyncio.sleep(0)
    return turns


@pytest.fixture
def turns_asked(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The delays ``app.core.slices`` sleeps for (each a turn given to the loop); every
    turn must also leave a moment to the process's other threads ("threads", recorded
    after the turn)."""
    asked: list[float] = []
    real = asyncio.sleep

    async def sleep(delay: float) -> None:
        asked.append(delay)
        await real(delay)

    def threads() -> None:
        assert asked and asked[-1] == 0, "the threads' moment comes after the loop's turn"
        asked.append(-1)

    monkeypatch.setattr(slices.asyncio, "sleep", sleep)
    monkeypatch.setattr(slices, "let_other_threads_run", threads)
    yield asked
    # Every loop turn (0) was followed by the threads' moment (-1).
    assert asked == [0, -1] * (len(asked) // 2)


@pytest.mark.parametrize(("step", "turns"), [(2.5, 10), (2.0, 6), (3.0, 10)])
async def test_each_gives_the_loop_a_turn_once_its_time_is_up(
        monkeypatch: pytest.MonkeyPatch, turns_asked: list[float], step: float,
        turns: int) -> None:
    """20 items, each taking ``step`` ms of a fake clock, in turns of 5 ms: a turn after
    the item that reaches or passes the turn's end (worked out by hand)."""
    now = [0.0]
    # Milliseconds, so that the sums stay exact.
    monkeypatch.setattr(slices.time, "perf_counter", lambda: now[0])

    def work(n: int) -> int:
        now[0] += step
        return n

    done = [work(n) async for n in each(range(20), seconds=5)]
    assert done == list(range(20))
    assert turns_asked[::2] == [0] * turns and len(turns_asked) == 2 * turns


async def test_each_lets_other_tasks_run_between_turns() -> None:
    def slow(n: int) -> int:
        time.sleep(0.002)  # a row's worth of work, without giving the loop a turn
        return n

    async def work() -> list[int]:
        return [slow(n) async for n in each(range(20), seconds=0.005)]

    task: asyncio.Task[object] = asyncio.ensure_future(work())
    turns = await _turns_during(task)
    assert task.result() == list(range(20))
    assert turns >= 4  # 40 ms of work in turns of 5 ms: not in one sitting


async def test_each_of_fast_items_does_not_hand_out_a_turn_per_item() -> None:
    task: asyncio.Task[object] = asyncio.ensure_future(
        _collect(each(range(10_000), seconds=60)))
    turns = await _turns_during(task)
    assert task.result() == list(range(10_000))
    assert turns == 1  # the watcher's first look; the work then ran in one sitting


async def _collect(items: AsyncIterator[int]) -> list[int]:
    return [n async for n in items]


async def test_in_slices_cuts_and_keeps_order(turns_asked: list[float]) -> None:
    assert [list(s) async for s in in_slices(list(range(7)), size=3)] == [
        [0, 1, 2], [3, 4, 5], [6]]
    assert turns_asked[::2] == [0, 0]  # between slices, not before the first
    assert len(turns_asked) == 4
    nothing: list[int] = []
    assert [s async for s in in_slices(nothing, size=3)] == []


def test_other_threads_get_a_moment_without_the_gil(monkeypatch: pytest.MonkeyPatch) -> None:
    """Long enough for the operating system to wake a thread waiting for the GIL (a
    sleep lets go of it); short enough to cost little at one a turn."""
    slept: list[float] = []
    monkeypatch.setattr(slices.time, "sleep", slept.append)
    slices.let_other_threads_run()
    assert slept == [slices.THREADS_SECONDS]
    assert 0.0001 <= slices.THREADS_SECONDS <= slices.TURN_SECONDS / 5


async def test_json_array_is_what_pydantic_makes_of_the_list() -> None:
    items = [Item(n=n, name=f"ü{n}\"") for n in range(600)]
    made = await json_array(items)
    assert made == TypeAdapter(list[Item]).dump_json(items)
    assert json.loads(made)[599] == {"n": 599, "name": "ü599\""}
    assert await json_array([]) == b"[]"
