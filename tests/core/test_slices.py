"""``app.core.slices``: long work on the event loop lets the loop run between slices."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

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
def turns_asked(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays ``app.core.slices`` sleeps for (each a turn given to the loop)."""
    asked: list[float] = []
    real = asyncio.sleep

    async def sleep(delay: float) -> None:
        asked.append(delay)
        await real(delay)

    monkeypatch.setattr(slices.asyncio, "sleep", sleep)
    return asked


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
    assert turns_asked == [0] * turns


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
    assert turns_asked == [0, 0]  # between slices, not before the first
    assert [s async for s in in_slices([], size=3)] == []


async def test_json_array_is_what_pydantic_makes_of_the_list() -> None:
    items = [Item(n=n, name=f"ü{n}\"") for n in range(600)]
    made = await json_array(items)
    assert made == TypeAdapter(list[Item]).dump_json(items)
    assert json.loads(made)[599] == {"n": 599, "name": "ü599\""}
    assert await json_array([]) == b"[]"
