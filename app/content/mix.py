"""The 6-3-1 rule (CONTRACT §7), as pure functions over category sequences.

A scope is a published sequence the rule holds in: the organisation's, one topic's, or one
feed's (the posts visible to a distinct set of followed topics, §3). Each is keyed by its set
of topics: ``frozenset()`` is the organisation (which is also the feed of advocates who follow
no topic), ``{t}`` topic ``t`` (also the feed of advocates who follow ``t`` alone), and a set
of two or more topics the feed of advocates who follow exactly those topics. A post counts in
the organisation, in each of its topics, and in every feed that shares a topic with it.

The invariant: every run of at most 10 consecutive posts has ``promotional <= 1`` and
``owned + promotional <= 4``. A run shorter than 10 lies inside a run of 10 whenever the
sequence is that long, so it is enough to check the runs of ``min(10, N)``; and when a
sequence already satisfies the rule, appending one post creates exactly one new run to check:
the last 9 posts plus the newcomer. That is why a decision never reads more than 9 posts per
scope, whatever the history's size.

A post "breaks" a scope when that new run exceeds a bound the post itself counts in. A feed
can start out of bounds (an advocate starts following a new set of topics, or an older history
was imported); then curated posts still go out, and flush the excess out of its window,
instead of every post touching that feed waiting forever.
"""

from __future__ import annotations

from collections import defaultdict
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

Scope = frozenset[str]
ORGANISATION: Scope = frozenset()


def _tail(sequence: Sequence[Category]) -> Sequence[Category]:
    return sequence[-(WINDOW - 1):] if len(sequence) >= WINDOW - 1 else sequence


def run_ok(run: Iterable[Category]) -> bool:
    """Does one run of at most 10 posts satisfy the rule?"""
    run = list(run)
    promotional = run.count(Category.promotional)
    return (promotional <= MAX_PROMOTIONAL
            and run.count(Category.owned) + promotional <= MAX_OWNED_AND_PROMOTIONAL)


def fits(sequence: Sequence[Category], category: Category) -> bool:
    """May a post of ``category`` follow ``sequence`` without breaking a bound it counts in?

    When ``sequence`` satisfies the rule, this is whether its last 9 posts and the newcomer
    satisfy it.
    """
    if category == Category.curated:
        return True
    recent = _tail(sequence)
    promotional = recent.count(Category.promotional) + (category == Category.promotional)
    if category == Category.promotional and promotional > MAX_PROMOTIONAL:
        return False
    return recent.count(Category.owned) + promotional + (category == Category.owned) \
        <= MAX_OWNED_AND_PROMOTIONAL


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
    """The tails of the published sequences of the organisation, of topics and of feeds.

    ``feeds`` maps a set of two or more followed topics to its feed's sequence; sets of one
    topic or none are the topics' and the organisation's own sequences.
    """

    def __init__(self, org: Sequence[Category], topics: Mapping[str, Sequence[Category]],
                 feeds: Mapping[Scope, Sequence[Category]] | None = None) -> None:
        self.scopes: dict[Scope, list[Category]] = {ORGANISATION: list(_tail(org))}
        for topic_id, sequence in topics.items():
            self.scopes[frozenset((topic_id,))] = list(_tail(sequence))
        self._feeds_of_topic: dict[str, list[Scope]] = defaultdict(list)
        self._keys: dict[Candidate, list[Scope]] = {}
        for feed, sequence in (feeds or {}).items():
            if len(feed) < 2:
                raise ValueError("a feed of one topic or none is that topic's or the "
                                 "organisation's sequence")
            self.scopes[feed] = list(_tail(sequence))
            for topic_id in feed:
                self._feeds_of_topic[topic_id].append(feed)

    @property
    def org(self) -> list[Category]:
        return self.scopes[ORGANISATION]

    @property
    def topics(self) -> dict[str, list[Category]]:
        return {next(iter(s)): seq for s, seq in self.scopes.items() if len(s) == 1}

    def of_topic(self, topic_id: str) -> list[Category]:
        return self.scopes.setdefault(frozenset((topic_id,)), [])

    def scope_keys(self, candidate: Candidate) -> list[Scope]:
        """The organisation, the candidate's topics, then the feeds that would show it."""
        keys = self._keys.get(candidate)
        if keys is None:
            for topic_id in candidate.topic_ids:
                self.of_topic(topic_id)
            feeds = {f for t in candidate.topic_ids for f in self._feeds_of_topic.get(t, ())}
            keys = [ORGANISATION, *(frozenset((t,)) for t in candidate.topic_ids),
                    *sorted(feeds, key=sorted)]
            self._keys[candidate] = keys
        return keys

    def scopes_of(self, candidate: Candidate) -> list[list[Category]]:
        return [self.scopes[k] for k in self.scope_keys(candidate)]

    def eligible(self, candidate: Candidate) -> bool:
        """A post may go out when it breaks none of the sequences it would join."""
        if candidate.category == Category.curated:
            return True  # it counts in neither bound
        return all(fits(s, candidate.category) for s in self.scopes_of(candidate))

    def breaking(self, candidate: Candidate) -> list[Scope]:
        """The scopes the candidate would break if it were published now."""
        return [k for k in self.scope_keys(candidate)
                if not fits(self.scopes[k], candidate.category)]

    def append(self, candidate: Candidate) -> None:
        for scope in self.scopes_of(candidate):
            scope.append(candidate.category)
            del scope[:-(WINDOW - 1)]

    def curated_needed(self, candidate: Candidate) -> int:
        """The fewest curated posts carrying the candidate's topics that would release it.

        Such posts join exactly the sequences the candidate would join.
        """
        scopes = self.scopes_of(candidate)
        for extra in range(WINDOW):
            padding = [Category.curated] * extra
            if all(fits([*s, *padding], candidate.category) for s in scopes):
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
