"""``chorus demo``: what a newcomer sees first, checked against the raw records.

The demo is built once for the module, at a fixed instant (a Thursday afternoon), into a
newly migrated database; every expectation below is recomputed here from the tables
(or written out by hand), never read from the demo's own bookkeeping.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import time_machine
from sqlalchemy import Executable, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from app.core.config import Settings
from app.core.migrate import upgrade
from app.demo.build import build_demo
from app.demo.posts import CATALOGUE, SUGGESTED
from app.main import create_app
from app.models import (
    Badge,
    Click,
    Conversion,
    Feedback,
    Pilot,
    PointsEntry,
    PolicyAcceptance,
    Post,
    PostTopic,
    Share,
    StatsSnapshot,
    Topic,
    User,
)
from app.models.enums import Category
from tests.conftest import SECRET
from tests.databases import empty_database

NOW = datetime(2026, 3, 12, 15, 40, tzinfo=UTC)  # a Thursday
TODAY = NOW.date()
THIS_MONDAY = date(2026, 3, 9)
SEED = 11
FIRST_ADVOCATE = "ana@chorus.test"  # the advocate login the command prints
PASSWORD = "chorus-demo"
COMPANY_HOST = "kestrel.example"


def _settings(url: str) -> Settings:
    return Settings(_env_file=None, database_url=url, secret_key=SECRET)


@contextmanager
def _built_demo(folder: Path, *, seed: int) -> Iterator[str]:
    """A new database migrated to head, as ``make run`` makes it, filled by the demo."""
    with empty_database(folder, f"demo-{seed}") as url:
        upgrade(url)
        with time_machine.travel(NOW, tick=False):
            asyncio.run(build_demo(_settings(url), seed=seed, if_empty=False))
        yield url


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with _built_demo(tmp_path_factory.mktemp("demo"), seed=SEED) as url:
        yield url


@asynccontextmanager
async def _session(url: str) -> AsyncIterator[AsyncSession]:
    engine = create_async_engine(url)
    try:
        async with async_sessionmaker(engine)() as session:
            yield session
    finally:
        await engine.dispose()


async def _rows(url: str, stmt: Executable) -> Sequence[Any]:
    async with _session(url) as session:
        return (await session.execute(stmt)).all()


@asynccontextmanager
async def _api(url: str, email: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client signed in as ``email``, at the demo's instant."""
    app = create_app(_settings(url), run_jobs=False)
    try:
        with time_machine.travel(NOW, tick=False):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport,
                                         base_url="http://testserver") as client:
                login = await client.post("/api/v1/auth/login",
                                          json={"email": email, "password": PASSWORD})
                assert login.status_code == 200, login.text
                client.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
                yield client
    finally:
        await app.state.clicks.close()
        await app.state.db.dispose()


# ------------------------------------------------------------------ 1. posts and categories

PROMOTIONAL_WORDS = ["% off", "discount", "free trial", "webinar", "register", "sign up",
                     "book a demo", "free tickets", "offer", "coupon", "limited time",
                     "buy now"]
CALLS_TO_ACTION = ["register", "book a demo", "free trial", "try ", "% off", "sign up",
                   "join"]


async def test_every_post_is_written_for_its_category(demo: str) -> None:
    posts = await _rows(demo, select(Post.title, Post.summary, Post.url, Post.category,
                                     Post.captions, Post.suggested_by))
    assert len(posts) >= 60
    titles = [p.title for p in posts]
    assert len(set(titles)) == len(titles), "every post is a different article"
    for post in posts:
        if post.category is None:  # a suggestion waiting for review
            assert post.suggested_by is not None
            assert post.title in {idea.title for idea in SUGGESTED}
            continue
        assert post.title in {idea.title for idea in CATALOGUE[post.category]}, post.title
        text = f"{post.title} {post.summary}".lower()
        host = urlsplit(post.url).hostname
        if post.category == Category.promotional:
            assert [w for w in CALLS_TO_ACTION if w in text], post.title
            assert host == COMPANY_HOST
        else:
            assert [w for w in PROMOTIONAL_WORDS if w in text] == [], post.title
            # Curated posts are other publications' articles; owned posts are the company's.
            assert (host == COMPANY_HOST) == (post.category == Category.owned), post.url
        assert post.captions["default"] and post.captions["linkedin"]
        assert 0 < len(post.captions["x"]) <= 280


async def test_every_topic_gets_posts_of_several_kinds(demo: str) -> None:
    async with _session(demo) as session:
        rows = (await session.execute(
            select(Post.category, Post.id).where(Post.suggested_by.is_(None)))).all()
        topic_rows = (await session.execute(
            select(Topic.name, PostTopic.post_id).join(PostTopic,
                                                       PostTopic.topic_id == Topic.id))).all()
    category_of = {post_id: category for category, post_id in rows}
    kinds: dict[str, set[Category | None]] = defaultdict(set)
    for name, post_id in topic_rows:
        if post_id in category_of:
            kinds[name].add(category_of[post_id])
    assert len(kinds) == 5
    assert all({Category.curated, Category.owned} <= k for k in kinds.values()), kinds


# ------------------------------------------------------------------ 2. points and badges


def _week(moment: datetime) -> date:
    day = moment.astimezone(UTC).date()
    return day - timedelta(days=day.weekday())


def _first_streak(times: list[datetime]) -> datetime | None:
    """The share that completed four consecutive ISO weeks with a share (CONTRACT §3)."""
    weeks: set[date] = set()
    for at in times:
        weeks.add(_week(at))
        if all(_week(at) - timedelta(weeks=i) in weeks for i in range(4)):
            return at
    return None


def _month_ends() -> list[date]:
    """First days of months that began during the demo's eight weeks."""
    ends, day = [], (NOW - timedelta(weeks=8)).date()
    while day <= TODAY:
        if day.day == 1:
            ends.append(day)
        day += timedelta(days=1)
    return ends


async def _expected_badges(url: str) -> dict[tuple[str, str], datetime]:
    shares = await _rows(url, select(Share.user_id, Share.created_at)
                         .order_by(Share.created_at))
    clicks = await _rows(url, select(Share.user_id, Click.occurred_at)
                         .join(Share, Share.id == Click.share_id)
                         .where(Click.bot.is_(False), Click.is_self.is_(False)))
    conversions = await _rows(url, select(Conversion.advocate_id, Conversion.occurred_at)
                              .where(Conversion.attributed.is_(True)))
    ledger = await _rows(url, select(PointsEntry.user_id, PointsEntry.points,
                                     PointsEntry.occurred_at))
    expected: dict[tuple[str, str], datetime] = {}
    by_user: dict[str, list[datetime]] = defaultdict(list)
    for user_id, at in shares:
        by_user[user_id].append(at)
    for user_id, times in by_user.items():
        expected[(user_id, "first-share")] = times[0]
        if len(times) >= 10:
            expected[(user_id, "ten-shares")] = times[9]
        streak = _first_streak(times)
        if streak is not None:
            expected[(user_id, "streak-4")] = streak
    for key, events in (("first-click", clicks), ("first-conversion", conversions)):
        for user_id, at in events:
            if at < expected.get((user_id, key), at + timedelta(seconds=1)):
                expected[(user_id, key)] = at
    for month_end in _month_ends():
        month_start = (month_end - timedelta(days=1)).replace(day=1)
        points: dict[str, int] = defaultdict(int)
        for user_id, n, at in ledger:
            if month_start <= at.date() < month_end:
                points[user_id] += n
        for user_id, n in points.items():
            if n > 0 and sum(other > n for other in points.values()) < 3:
                # Awarded once: a second month in the top three adds nothing.
                expected.setdefault((user_id, "top-3"), datetime.combine(
                    month_end, datetime.min.time(), tzinfo=UTC))
    return expected


async def test_badges_are_earned_when_their_event_happened(demo: str) -> None:
    badges = {(user_id, key): at for user_id, key, at in
              await _rows(demo, select(Badge.user_id, Badge.key, Badge.earned_at))}
    expected = await _expected_badges(demo)
    assert {k for _, k in expected} >= {"first-share", "ten-shares", "first-click",
                                        "first-conversion", "streak-4", "top-3"}
    assert badges == expected
    assert max(badges.values()) <= NOW


async def test_every_award_carries_the_time_of_its_event(demo: str) -> None:
    event_time: dict[str, datetime] = {}
    for share_id, at in await _rows(demo, select(Share.id, Share.created_at)):
        event_time[f"share:{share_id}"] = at
    for click_id, at in await _rows(demo, select(Click.click_id, Click.occurred_at).where(
            Click.bot.is_(False), Click.is_self.is_(False))):
        event_time[f"click:{click_id}"] = at
    for conversion_id, at in await _rows(demo, select(Conversion.id, Conversion.occurred_at)
                                         .where(Conversion.attributed.is_(True))):
        event_time[f"conversion:{conversion_id}"] = at
    ledger = {key: at for key, at in await _rows(demo, select(PointsEntry.event_key,
                                                              PointsEntry.occurred_at))}
    assert ledger == event_time
    assert max(ledger.values()) <= NOW


# ------------------------------------------------------------------ 3. engagement stats


async def test_shares_on_networks_carry_plausible_stats_snapshots(demo: str) -> None:
    rows = await _rows(demo, select(
        Share.id, Share.network, Share.created_at, Share.follower_count, Share.external_url,
        StatsSnapshot.taken_at, StatsSnapshot.source, StatsSnapshot.impressions,
        StatsSnapshot.likes, StatsSnapshot.comments, StatsSnapshot.reshares,
    ).join(StatsSnapshot, StatsSnapshot.share_id == Share.id).order_by(StatsSnapshot.taken_at))
    assert len(rows) >= 100
    previous: dict[str, tuple[int, int, int, int]] = {}
    for row in rows:
        assert row.network in {"linkedin", "x", "facebook"}
        assert row.external_url and row.external_url.startswith("https://")
        assert row.source in {"manual", "import"}
        assert row.created_at < row.taken_at <= NOW
        assert row.taken_at <= row.created_at + timedelta(days=8)
        assert row.impressions <= row.follower_count + 100, "more views than the audience"
        assert row.likes + row.comments + row.reshares <= row.impressions
        counts = (row.impressions, row.likes, row.comments, row.reshares)
        before = previous.get(row.id, (0, 0, 0, 0))
        assert all(a >= b for a, b in zip(counts, before, strict=True)), "counts only grow"
        previous[row.id] = counts
    eligible = await _rows(demo, select(Share.id).where(
        Share.network.in_(["linkedin", "x", "facebook"]),
        Share.created_at <= NOW - timedelta(days=2)))
    with_stats = {row.id for row in rows}
    assert 0.3 <= len(with_stats) / len(eligible) <= 0.9, "some, not all, shares have stats"


async def test_every_pilot_reports_reach_impressions_and_engagements(demo: str) -> None:
    pilots = await _rows(demo, select(Pilot.id))
    assert len(pilots) == 2
    async with _api(demo, "manager@chorus.test") as api:
        for (pilot_id,) in pilots:
            response = await api.get(f"/api/v1/pilots/{pilot_id}/kpis")
            assert response.status_code == 200, response.text
            kpis = response.json()
            assert kpis["reach"] > 0 and kpis["shares_with_stats"] > 0
            assert 0 < kpis["engagements"] < kpis["impressions"] < kpis["reach"]
            assert kpis["shares"] > 0 and kpis["clicks"] > 0


# ------------------------------------------------------------------ 4. the running pilot


async def test_the_printed_advocate_has_this_weeks_feedback_to_give(demo: str) -> None:
    async with _api(demo, FIRST_ADVOCATE) as api:
        me = (await api.get("/api/v1/me")).json()
        assert me["role"] == "advocate"
        mine = (await api.get("/api/v1/me/pilots")).json()["items"]
    running = [p for p in mine
               if date.fromisoformat(p["starts_on"]) <= TODAY <= date.fromisoformat(p["ends_on"])]
    assert len(running) == 1
    assert running[0]["feedback_given_this_week"] is False
    given = await _rows(demo, select(Feedback.week_starts_on).where(
        Feedback.user_id == me["id"], Feedback.pilot_id == running[0]["id"]))
    assert given, "she gave feedback in earlier weeks"
    assert THIS_MONDAY not in {week for (week,) in given}


async def test_the_running_pilots_cohort_gave_feedback_every_past_week(demo: str) -> None:
    async with _session(demo) as session:
        (pilot,) = (await session.scalars(select(Pilot).where(Pilot.starts_on <= TODAY,
                                                              Pilot.ends_on >= TODAY))).all()
    ana = (await _rows(demo, select(User.id).where(User.email == FIRST_ADVOCATE)))[0][0]
    feedback = await _rows(demo, select(Feedback.user_id, Feedback.week_starts_on,
                                        Feedback.created_at)
                           .where(Feedback.pilot_id == pilot.id))
    past_weeks = {w for _, w, _ in feedback if w < THIS_MONDAY}
    assert past_weeks == {pilot.starts_on + timedelta(weeks=i)
                          for i in range((THIS_MONDAY - pilot.starts_on).days // 7)}
    assert len(past_weeks) >= 2
    assert len({u for u, w, _ in feedback if u != ana and w < THIS_MONDAY}) >= 3
    for _, week, created_at in feedback:
        assert week == _week(created_at) and created_at <= NOW
        assert pilot.starts_on <= week <= pilot.ends_on


# ------------------------------------------------------------------ 5. time and seed


async def test_nothing_happens_after_now(demo: str) -> None:
    columns = [Share.created_at, Click.occurred_at, Conversion.occurred_at,
               Conversion.created_at, PointsEntry.occurred_at, Badge.earned_at,
               StatsSnapshot.taken_at, Feedback.created_at, Post.published_at, User.created_at]
    for column in columns:
        times = [t for (t,) in await _rows(demo, select(column)) if t is not None]
        assert times and max(times) <= NOW, column
        assert min(times) >= NOW - timedelta(weeks=8, days=3), column


async def _fingerprint(url: str) -> list[Sequence[Any]]:
    """What the demo shows, without the random ids and codes."""
    async with _session(url) as session:
        emails = dict((await session.execute(select(User.id, User.email))).all())
        titles = dict((await session.execute(select(Post.id, Post.title))).all())

        def who(user_id: str | None) -> str | None:
            return emails.get(user_id) if user_id else None

        shares = {s.id: (who(s.user_id), titles[s.post_id], s.network)
                  for s in await session.scalars(select(Share))}
        return [
            sorted((p.title, p.category, p.status, p.publish_at, p.published_at)
                   for p in await session.scalars(select(Post))),
            sorted((*key, shares_row.created_at, shares_row.follower_count)
                   for shares_row in await session.scalars(select(Share))
                   for key in [shares[shares_row.id]]),
            sorted((shares[c.share_id], c.occurred_at, c.bot, c.is_self, c.is_unique)
                   for c in await session.scalars(select(Click))),
            sorted((c.occurred_at, c.type, c.value, c.attributed, who(c.advocate_id))
                   for c in await session.scalars(select(Conversion))),
            sorted((who(b.user_id), b.key, b.earned_at)
                   for b in await session.scalars(select(Badge))),
            sorted((shares[s.share_id], s.taken_at, s.impressions, s.likes)
                   for s in await session.scalars(select(StatsSnapshot))),
            sorted((who(f.user_id), f.week_starts_on, f.score)
                   for f in await session.scalars(select(Feedback))),
        ]


async def test_the_same_seed_gives_the_same_program(demo: str, tmp_path: Path) -> None:
    def build_again() -> list[Sequence[Any]]:
        with _built_demo(tmp_path, seed=SEED) as url:
            return asyncio.run(_fingerprint(url))

    again = await asyncio.to_thread(build_again)
    first = await _fingerprint(demo)
    assert all(part for part in first)
    assert again == first


# ------------------------------------------------------------------ 6. the sharing policy


async def test_the_newcomer_meets_the_sharing_policy_everyone_else_accepted(demo: str) -> None:
    async with _api(demo, FIRST_ADVOCATE) as api:
        me = (await api.get("/api/v1/me")).json()
        assert me["policy_accepted_version"] is None
        feed = (await api.get("/api/v1/feed")).json()["items"]
        assert feed and {i["can_share"]["reason"] for i in feed} == {"policy"}
    async with _api(demo, "admin@chorus.test") as api:
        settings = (await api.get("/api/v1/settings/sharing")).json()
        assert settings["disclosure"] and settings["daily_share_cap"]
        assert settings["blocked_words"]
        version = settings["policy"]["version"]
    async with _session(demo) as session:
        others = (await session.execute(select(User.email).where(
            User.email != FIRST_ADVOCATE, User.deactivated_at.is_(None)))).scalars().all()
        accepted = set((await session.execute(select(PolicyAcceptance.user_id).where(
            PolicyAcceptance.version == version))).scalars().all())
        ids = set((await session.execute(select(User.id).where(
            User.email.in_(others)))).scalars().all())
    assert ids <= accepted
