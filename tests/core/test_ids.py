"""Row ids: opaque and random; the bulk-written ones also sort by creation time."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import time_machine

from app.core.db import new_id, time_ordered_id, time_ordered_ids

HEX32 = re.compile(r"^[0-9a-f]{32}$")


def test_ids_are_32_hex_digits_and_never_repeat() -> None:
    ids = ([new_id() for _ in range(1000)] + [time_ordered_id() for _ in range(1000)]
           + time_ordered_ids(1000) + time_ordered_ids(1) + time_ordered_ids(500))
    assert time_ordered_ids(0) == []
    assert all(HEX32.match(i) for i in ids)
    assert len(set(ids)) == len(ids)


def test_time_ordered_ids_sort_by_creation_time() -> None:
    made = []
    with time_machine.travel("2026-11-23 08:00:00Z", tick=False) as traveller:
        for _ in range(50):
            made.append(time_ordered_id())
            traveller.shift(0.002)
    assert sorted(made) == made


def test_ids_made_in_bulk_sort_with_those_made_one_by_one() -> None:
    with time_machine.travel("2026-11-23 08:00:00Z", tick=False) as traveller:
        before = time_ordered_id()
        traveller.shift(0.002)
        batch = time_ordered_ids(20)
        traveller.shift(0.002)
        after = time_ordered_id()
    assert len(batch) == 20
    assert before < min(batch) and max(batch) < after
    millisecond = int(datetime(2026, 11, 23, 8, 0, 0, 2000, tzinfo=UTC).timestamp() * 1000)
    assert {i[:12] for i in batch} == {f"{millisecond:012x}"}
