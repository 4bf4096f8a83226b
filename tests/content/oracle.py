"""An independent, deliberately naive statement of §7 to test the publisher against.

It re-checks whole sequences and scores with exact fractions, sharing no code with
``app.content.mix``. The feeds' part rebuilds every active reader's feed from the whole
history, reader by reader (no grouping by topic set, no tails).
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
        pick = _pick(org, eligible)
        order.append(pick.id)
        org.append(pick.category)
        for t in pick.topics:
            topics.setdefault(t, []).append(pick.category)
        waiting.remove(pick)


def _pick(org: Sequence[str], eligible: Sequence[Queued]) -> Queued:
    """§7's pick: the category furthest behind over the last min(9, N), then the earliest."""
    m = min(9, len(org))
    recent = org[len(org) - m:]
    score = {c: SHARE[c] * (m + 1) - recent.count(c) for c in TIES}
    present = {q.category for q in eligible}
    best = max((c for c in TIES if c in present), key=lambda c: (score[c], -TIES.index(c)))
    return min((q for q in eligible if q.category == best),
               key=lambda q: (q.due_at, q.created_at, q.id))


# --- feeds ----------------------------------------------------------------------------------

Published = tuple[str, frozenset[str]]  # (category, topics), in publication order


@dataclass(frozen=True)
class Reader:
    """A user and the topics they follow (none: they see every post)."""

    follows: frozenset[str]
    active: bool = True


def sees(follows: frozenset[str], topics: frozenset[str]) -> bool:
    """§3: a post is visible to whoever follows one of its topics, or follows none."""
    return not follows or bool(follows & topics)


def feed_of(history: Sequence[Published], follows: frozenset[str]) -> list[str]:
    return [category for category, topics in history if sees(follows, topics)]


def breaks(sequence: Sequence[str], category: str) -> bool:
    """Would a post of ``category`` after ``sequence`` make the newest ten exceed a bound that
    the post itself counts in?"""
    newest = [*sequence[-9:], category]
    promotional = newest.count("promotional")
    owned_or_promotional = newest.count("owned") + promotional
    if category == "promotional":
        return promotional > 1 or owned_or_promotional > 4
    if category == "owned":
        return owned_or_promotional > 4
    return False


def scopes_seen(history: Sequence[Published], readers: Sequence[Reader], post: Queued
                ) -> list[tuple[frozenset[str], int, list[str]]]:
    """Every sequence ``post`` would join, as (topic set, advocates, sequence): the
    organisation ([], the readers who follow no topic), each of its topics (its followers and
    the readers who follow none) and each active reader's own feed of two or more topics that
    would show it (readers following exactly that set). A reader's feed of one topic or none
    is that topic's or the organisation's sequence."""
    active = [r for r in readers if r.active]
    no_topic = sum(1 for r in active if not r.follows)
    org = [category for category, _ in history]
    scopes = [(frozenset[str](), no_topic, org)]
    for topic in sorted(post.topics):
        followers = sum(1 for r in active if topic in r.follows)
        scopes.append((frozenset([topic]), followers + no_topic,
                       [c for c, topics in history if topic in topics]))
    for follows in {r.follows for r in active
                    if len(r.follows) >= 2 and sees(r.follows, post.topics)}:
        exactly = sum(1 for r in active if r.follows == follows)
        scopes.append((follows, exactly, feed_of(history, follows)))
    return scopes


def breaking(history: Sequence[Published], readers: Sequence[Reader], post: Queued
             ) -> list[tuple[frozenset[str], int]]:
    """The sequences ``post`` would break, with how many advocates each is reported for."""
    return [(s, n) for s, n, seq in scopes_seen(history, readers, post)
            if breaks(seq, post.category)]


def expected_feed_run(history: Sequence[Published], readers: Sequence[Reader],
                      due: Sequence[Queued]) -> list[str]:
    """The ids a run should publish, in order, with every active reader's feed counted."""
    history = list(history)
    waiting = list(due)
    order: list[str] = []
    while True:
        eligible = [q for q in waiting if not breaking(history, readers, q)]
        if not eligible:
            return order
        pick = _pick([c for c, _ in history], eligible)
        order.append(pick.id)
        history.append((pick.category, pick.topics))
        waiting.remove(pick)
