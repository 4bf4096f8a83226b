"""Who sees which sequence of §7: the distinct sets of topics that active users follow.

Every active user (of any role) has a feed: the published posts visible to them (§3), so one
per distinct set of followed topics. The empty set's feed is every post, the organisation's
sequence; a single topic's feed is that topic's sequence; a set of two or more topics is a
feed of its own (``mix.Sequences.feeds``).

``advocates`` says how many active users a sequence is reported for in ``held_by``:
- the organisation (``[]``): the users who follow no topic, whose feed it is;
- a topic: every user who sees all of that topic's posts, i.e. its followers (alone or with
  other topics) and the users who follow no topic;
- a feed of two or more topics: the users who follow exactly that set.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import mix
from app.content.schemas import HeldBy
from app.models import User
from app.models.people import user_topics

_SEPARATOR = ","  # topic ids are opaque hex strings


class Audience:
    """Active users counted by the set of topics they follow (the empty set included), for
    the sets that matter to the posts at hand."""

    def __init__(self, sets: Mapping[mix.Scope, int]) -> None:
        self.sets = {s: n for s, n in sets.items() if n > 0}
        self._followers: Counter[str] = Counter()
        for topics, count in self.sets.items():
            for topic_id in topics:
                self._followers[topic_id] += count

    @property
    def no_topic(self) -> int:
        return self.sets.get(mix.ORGANISATION, 0)

    def feeds(self) -> list[mix.Scope]:
        """The sets that make a feed of their own (two or more topics)."""
        return [s for s in self.sets if len(s) >= 2]

    def advocates(self, scope: mix.Scope) -> int:
        if not scope:
            return self.no_topic
        if len(scope) == 1:
            return self._followers[next(iter(scope))] + self.no_topic
        return self.sets.get(scope, 0)

    def held_by(self, sequences: mix.Sequences, candidate: mix.Candidate) -> HeldBy | None:
        """The sequence the candidate would break that the most active users see (ties: the
        organisation, then its topics in order, then feeds); None when it breaks none."""
        breaking = sequences.breaking(candidate)
        if not breaking:
            return None
        scope = max(breaking, key=self.advocates)  # the first of the largest
        return HeldBy(topic_ids=sorted(scope), advocates=self.advocates(scope))


async def load(session: AsyncSession, topic_ids: Collection[str], *,
               count_no_topic: bool = True) -> Audience:
    """The sets that share a topic with ``topic_ids`` (the feeds a post in those topics would
    join), and the users who follow none: counted in the database, one row per set.

    A publisher run needs only which feeds exist, not how many users follow no topic (their
    feed is the organisation's, which always counts): it skips that count.
    """
    active = User.deactivated_at.is_(None)
    sets: Counter[mix.Scope] = Counter()
    if topic_ids:
        following = select(user_topics.c.user_id).where(user_topics.c.topic_id.in_(topic_ids))
        per_user = (
            select(func.aggregate_strings(user_topics.c.topic_id, _SEPARATOR).label("topics"))
            .select_from(user_topics.join(User, User.id == user_topics.c.user_id))
            .where(active, user_topics.c.user_id.in_(following))
            .group_by(user_topics.c.user_id)
            .subquery()
        )
        for joined, count in await session.execute(
            select(per_user.c.topics, func.count()).group_by(per_user.c.topics)
        ):
            # The aggregate's order is not fixed: a set may come back in several rows.
            sets[frozenset(str(joined).split(_SEPARATOR))] += int(count)
    if count_no_topic:
        follows_none = ~exists().where(user_topics.c.user_id == User.id)
        sets[mix.ORGANISATION] = int(await session.scalar(
            select(func.count()).select_from(User).where(active, follows_none)) or 0)
    return Audience(sets)
