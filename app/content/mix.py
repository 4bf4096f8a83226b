"""The 6-3-1 rule (CONTRACT §7), as pure functions over category sequences.

A scope is the organisation or one topic; its sequence is its published posts in publication
order. The invariant: every run of at most 10 consecutive posts has ``promotional <= 1`` and
``owned + promotional <= 4``. A run shorter than 10 lies inside a run of 10 whenever the
sequence is that long, so it is enough to check the runs of ``min(10, N)``; and when a
sequence already satisfies the rule, appending one post creates exactly one new run to check:
the last 9 posts plus the newcomer. That is why a decision never reads more than 9 posts per
scope, whatever the history's size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.models.enums import Category

WINDOW = 10
MAX_PROMOTIONAL = 1
MAX_OWNED_AND_PROMOTIONAL = 4
# Target shares in tenths, so the "furthest behind" score is exact integer arithmetic.
TENTHS = {Category.curated: 6, Category.owned: 3, Category.promotional: 1}
TIE_ORDER = (Category.curated, Category.owned, Category.promotional)


def _tail(sequence: Sequence[Category]) -> Sequence[Category]:
    return sequence[-(WINDOW - 1):] if len(sequence) >= WINDOW - 1 else sequence


def run_ok(run: Iterable[Category]) -> bool:
    """Does one run of at most 10 posts satisfy the rule?"""
    run = list(run)
    promotional = run.count(Category.promotional)
    return (promotional <= MAX_PROMOTIONAL
            and run.count(Category.owned) + promotional <= MAX_OWNED_AND_PROMOTIONAL)


def fits(sequence: Sequence[Category], category: Category) -> bool:
    """May a post of ``category`` follow ``sequence`` (which already satisfies the rule)?"""
    return run_ok([*_tail(sequence), category])


def compliant(sequence: Sequence[Category]) -> bool:
    """Does every run of at most 10 consecutive posts of ``sequence`` satisfy the rule?"""
    if len(sequence) <= WINDOW:
        return run_ok(sequence)
    return all(run_ok(sequence[i:i + WINDOW]) for i in range(len(sequence) - WINDOW + 1))


def category_preference(org_sequence: Sequence[Category]) -> list[Category]:
    """Categories from furthest behind their 6:3:1 share to least, ties curated first.

    With counts c over the last m = min(9, N) posts, the score is t·(m+1) − c.
    """
    recent = _tail(org_sequence)
    slots = len(recent) + 1
    score = {c: TENTHS[c] * slots - 10 * recent.count(c) for c in TIE_ORDER}
    return sorted(TIE_ORDER, key=lambda c: (-score[c], TIE_ORDER.index(c)))


@dataclass(frozen=True)
class Candidate:
    """A queued post as the publisher sees it."""

    id: str
    category: Category
    topic_ids: tuple[str, ...]
    due_at: datetime
    created_at: datetime

    @property
    def pick_key(self) -> tuple[datetime, datetime, str]:
        """Within a category: earliest publish time, then earliest creation, then smallest id."""
        return (self.due_at, self.created_at, self.id)


class Sequences:
    """The tails of the organisation's and each topic's published sequences."""

    def __init__(self, org: Sequence[Category],
                 topics: Mapping[str, Sequence[Category]]) -> None:
        self.org = list(_tail(org))
        self.topics = {t: list(_tail(s)) for t, s in topics.items()}

    def of_topic(self, topic_id: str) -> list[Category]:
        return self.topics.setdefault(topic_id, [])

    def scopes_of(self, candidate: Candidate) -> list[list[Category]]:
        return [self.org, *(self.of_topic(t) for t in candidate.topic_ids)]

    def eligible(self, candidate: Candidate) -> bool:
        """A post counts in the organisation and in every topic it carries."""
        return all(fits(s, candidate.category) for s in self.scopes_of(candidate))

    def append(self, candidate: Candidate) -> None:
        for scope in self.scopes_of(candidate):
            scope.append(candidate.category)
            del scope[:-(WINDOW - 1)]

    def curated_needed(self, candidate: Candidate) -> int:
        """The fewest curated posts carrying the candidate's topics that would release it."""
        for extra in range(WINDOW):
            padding = [Category.curated] * extra
            if all(fits([*s, *padding], candidate.category)
                   for s in self.scopes_of(candidate)):
                return extra
        return WINDOW - 1  # unreachable: nine curated posts always release any post


def choose(sequences: Sequences, eligible: Sequence[Candidate]) -> Candidate:
    """The pick order of §7 among posts that may be published now."""
    for category in category_preference(sequences.org):
        in_category = [c for c in eligible if c.category == category]
        if in_category:
            return min(in_category, key=lambda c: c.pick_key)
    raise ValueError("choose() needs at least one eligible post")


def plan(sequences: Sequences, due: Sequence[Candidate]) -> list[Candidate]:
    """Publish due posts one at a time, re-checking eligibility after each, until none fits.

    ``sequences`` is advanced past the planned posts; the posts left out are held by the mix.
    """
    waiting = list(due)
    planned: list[Candidate] = []
    while True:
        eligible = [c for c in waiting if sequences.eligible(c)]
        if not eligible:
            return planned
        picked = choose(sequences, eligible)
        sequences.append(picked)
        planned.append(picked)
        waiting.remove(picked)
