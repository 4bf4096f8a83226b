"""An independent, deliberately naive statement of §7 to test the publisher against.

It re-checks whole sequences and scores with exact fractions, sharing no code with
``app.content.mix``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from fractions import Fraction

SHARE = {"curated": Fraction(6, 10), "owned": Fraction(3, 10), "promotional": Fraction(1, 10)}
TIES = ["curated", "owned", "promotional"]


def every_window_ok(sequence: Sequence[str]) -> bool:
    """Every run of at most 10 consecutive posts: promotional ≤ 1, owned + promotional ≤ 4."""
    for size in range(1, min(10, len(sequence)) + 1):
        for start in range(len(sequence) - size + 1):
            run = sequence[start:start + size]
            promotional = run.count("promotional")
            if promotional > 1 or run.count("owned") + promotional > 4:
                return False
    return True


@dataclass(frozen=True)
class Queued:
    id: str
    category: str
    topics: frozenset[str]
    due_at: datetime
    created_at: datetime


def expected_run(org: list[str], topics: dict[str, list[str]], due: Sequence[Queued]
                 ) -> list[str]:
    """The ids a run should publish, in order (``org`` and ``topics`` are full sequences)."""
    org = list(org)
    topics = {t: list(s) for t, s in topics.items()}
    waiting = list(due)
    order: list[str] = []
    while True:
        eligible = [
            q for q in waiting
            if every_window_ok([*org[-10:], q.category])
            and all(every_window_ok([*topics.get(t, [])[-10:], q.category]) for t in q.topics)
        ]
        if not eligible:
            return order
        m = min(9, len(org))
        recent = org[len(org) - m:]
        score = {c: SHARE[c] * (m + 1) - recent.count(c) for c in TIES}
        present = {q.category for q in eligible}
        best = max((c for c in TIES if c in present), key=lambda c: (score[c], -TIES.index(c)))
        pick = min((q for q in eligible if q.category == best),
                   key=lambda q: (q.due_at, q.created_at, q.id))
        order.append(pick.id)
        org.append(pick.category)
        for t in pick.topics:
            topics.setdefault(t, []).append(pick.category)
        waiting.remove(pick)
