"""Eight weeks of sharing, replayed in the order it happened.

Shares, clicks and conversions go through the same service functions as the API and the
redirect, each at its own historical time. Points and badges follow from those functions, so
they are only right if events arrive in time order: the tenth share must be the tenth one
processed, the first counted click must come in the first batch that holds one. The replay
therefore walks the days in order and, within a day, creates the shares, then records the
clicks, then the conversions, each sorted by time. A click never precedes its share and a
conversion never precedes its click, so every event's cause is already recorded when it
arrives. Nothing is planned after ``now``.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from app.conversions import service as conversions_service
from app.conversions.schemas import ConversionCreate
from app.core.db import dialect_insert
from app.gamification import service as gamification_service
from app.models import AdvocateVisitor, Post, Share, User
from app.models.enums import Network
from app.sharing import service as sharing_service
from app.tracking.links import new_click_id
from app.tracking.projection import ClickDraft, RecordedClick, write_clicks

NETWORKS = [Network.linkedin] * 5 + [Network.x] * 2 + [
    Network.facebook, Network.whatsapp, Network.email, Network.copy]
REFERRERS: dict[str, list[str | None]] = {
    Network.linkedin: ["www.linkedin.com", "www.linkedin.com", "lnkd.in", None],
    Network.x: ["t.co", "t.co", None],
    Network.facebook: ["l.facebook.com", "m.facebook.com", None],
}
VISITORS = 400
BOT_SHARE = 0.2
SELF_SHARE = 0.06
CONVERSION_RATE = 0.06
CONVERSION_KINDS = ["signup", "signup", "download", "webinar", "demo", "deal"]
DEAL_VALUES = [0, 0, 49, 99, 1200, 4800]


@dataclass(frozen=True)
class PlannedShare:
    at: datetime
    user: User
    post: Post
    network: Network


@dataclass(frozen=True)
class PlannedConversion:
    at: datetime
    click_id: str


@dataclass
class Day:
    shares: list[PlannedShare] = field(default_factory=list)
    clicks: list[ClickDraft] = field(default_factory=list)
    conversions: list[PlannedConversion] = field(default_factory=list)
    # (advocate, day, visitor hash): the advocate's own browser that day (self-clicks, §4).
    own_browsers: set[tuple[str, date, str]] = field(default_factory=set)


class History:
    def __init__(self, rng: random.Random, *, start: datetime, now: datetime) -> None:
        self.rng = rng
        self.start = start
        self.now = now
        self.days: dict[date, Day] = defaultdict(Day)
        self.shares: list[Share] = []
        self.visitors = [f"{rng.getrandbits(128):032x}" for _ in range(VISITORS)]
        self._conversions = 0

    def plan_shares(self, people: Sequence[User], posts: Sequence[Post], *,
                    followed: dict[str, set[str]], topics_of: dict[str, set[str]]) -> None:
        """Who shares what, where and when: keen people share more, nobody shares a post
        they cannot see (§3 visibility), and nothing after now."""
        for person in people:
            keenness = self.rng.random()
            follows = followed[person.id]
            for post in posts:
                assert post.published_at is not None
                if self.rng.random() > 0.15 + 0.5 * keenness:
                    continue
                networks = set(self.rng.sample(NETWORKS, k=self.rng.choice([1, 1, 2])))
                if follows and not follows & topics_of[post.id]:
                    continue
                for network in sorted(networks):
                    at = post.published_at + timedelta(hours=self.rng.uniform(0.5, 72))
                    if at <= self.now:
                        self.days[at.date()].shares.append(
                            PlannedShare(at=at, user=person, post=post, network=network))

    async def replay(self, session: AsyncSession) -> None:
        first, last = self.start.date(), self.now.date()
        with typer.progressbar(length=(last - first).days + 1, label="history ") as bar:
            day = first
            while day <= last:
                await self._replay_day(session, self.days[day])
                del self.days[day]
                day += timedelta(days=1)
                bar.update(1)

    async def _replay_day(self, session: AsyncSession, day: Day) -> None:
        for planned in sorted(day.shares, key=lambda p: p.at):
            share, _, created = await sharing_service.get_or_create(
                session, user=planned.user, post_id=planned.post.id, network=planned.network,
                now=planned.at)
            if created:
                self.shares.append(share)
                self._plan_clicks(share)
        if day.clicks:
            for user_id, on, visitor in sorted(day.own_browsers):
                await session.execute(dialect_insert(session)(AdvocateVisitor).values(
                    user_id=user_id, day=on, visitor_hash=visitor).on_conflict_do_nothing())
            clicks = sorted(day.clicks, key=lambda d: d.occurred_at)
            recorded = await write_clicks(session, clicks,
                                          hooks=[gamification_service.award_clicks])
            self._plan_conversions(recorded)
        for conversion in sorted(day.conversions, key=lambda c: c.at):
            await self._convert(session, conversion)

    def _plan_clicks(self, share: Share) -> None:
        """People reading the share, hours to days later; some are link-preview bots and a
        few are the advocate checking their own link."""
        audience = share.follower_count or 50
        for _ in range(self.rng.randint(0, max(1, audience // 120))):
            at = share.created_at + timedelta(hours=self.rng.expovariate(1 / 30))
            if at > self.now:
                continue
            dice = self.rng.random()
            bot = dice < BOT_SHARE
            own = not bot and dice < BOT_SHARE + SELF_SHARE
            visitor = f"self-{share.user_id}" if own else self.rng.choice(self.visitors)
            if own:
                self.days[at.date()].own_browsers.add((share.user_id, at.date(), visitor))
            self.days[at.date()].clicks.append(ClickDraft(
                share_id=share.id, advocate_id=share.user_id, network=share.network,
                post_id=share.post_id, click_id=new_click_id(), occurred_at=at, day=at.date(),
                visitor_hash=visitor,
                device="bot" if bot else self.rng.choice(["mobile", "mobile", "desktop",
                                                          "tablet"]),
                referrer_host=None if bot else self.rng.choice(
                    REFERRERS.get(share.network, [None])),
                bot=bot, session_token_hash=None))

    def _plan_conversions(self, clicks: Sequence[RecordedClick]) -> None:
        for click in clicks:
            if click.is_unique and self.rng.random() < CONVERSION_RATE:
                at = click.occurred_at + timedelta(minutes=self.rng.randint(2, 600))
                if at <= self.now:
                    self.days[at.date()].conversions.append(
                        PlannedConversion(at=at, click_id=click.click_id))

    async def _convert(self, session: AsyncSession, planned: PlannedConversion) -> None:
        kind = self.rng.choice(CONVERSION_KINDS)
        value = str(self.rng.choice(DEAL_VALUES)) if kind == "deal" else None
        self._conversions += 1
        await conversions_service.record(session, source="api", data=ConversionCreate(
            click_id=planned.click_id, type=kind, value=value, occurred_at=planned.at,
            external_id=f"demo-{self._conversions}"))
