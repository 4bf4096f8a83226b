"""Property: whatever the click stream, the projector's flags and totals are those of an
oracle that replays the log in order by the definitions of CONTRACT §4 and §5.

Streams mix people, bots, the advocate's own token and own browsers (noted before or after
the click), repeat visitors, addresses rotating user agents, salt-day and local-day changes
(the organisation is in Bangkok, UTC+7, so the two days differ), point-rule changes, and
projections at random points. The oracle below is written from the contract alone."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from app.auth.tokens import token_hash
from app.content import publisher
from app.core.clock import utcnow
from app.core.db import Database, dialect_insert
from app.gamification import service as gamification_service
from app.gamification.rules import POINTS_KEY, PointRules, RuleBook
from app.models import AdvocateVisitor, AppSetting, AuthToken, Click, PointsEntry, ShareDay
from app.models.enums import Network
from app.sharing import service as sharing_service
from app.tracking.click_log import PgClickLog, SqliteClickLog, to_row
from app.tracking.projection import ClickDraft
from app.tracking.projector import ClickProjector
from tests.builders import make_post, make_user, token_for
from tests.databases import copy_of

TZ = ZoneInfo("Asia/Bangkok")
SHARES = 3  # shares 0 and 1 are advocate 0's, share 2 advocate 1's
OWNER = (0, 0, 1)


@dataclass(frozen=True)
class ClickStep:
    share: int
    visitor: int
    address: int
    bot: bool
    with_token: bool


@dataclass(frozen=True)
class NoteStep:
    """Advocate ``advocate`` makes an authenticated request as visitor ``visitor``."""

    advocate: int
    visitor: int


@dataclass(frozen=True)
class RulesStep:
    unique_click: int
    cap: int


@dataclass(frozen=True)
class ProjectStep:
    pass


Step = ClickStep | NoteStep | RulesStep | ProjectStep
def _spread(*values: int) -> st.SearchStrategy[int]:
    """One of ``values``, drawn evenly: Hypothesis favours the first of a ``sampled_from``
    and small integers, which would leave streams with one visitor on one share."""
    return st.integers(0, 2**20).map(lambda n: values[n % len(values)])


clicks = st.builds(
    ClickStep,
    _spread(0, 0, 0, 1, 2),  # share
    _spread(*range(8)),  # visitor
    _spread(0, 0, 0, 1),  # address: one busy address, to reach the cap
    _spread(0, 0, 0, 0, 1).map(bool),  # bot
    _spread(*[0] * 7, 1).map(bool),  # with the advocate's own token
)
steps = st.lists(st.tuples(
    # Minutes since the previous step: mostly the same day, sometimes the next salt or
    # local day (Bangkok's midnight is 17:00 UTC).
    _spread(0, 0, 1, 1, 2, 5, 15, 60, 300, 1440),
    _spread(*range(10)).flatmap(lambda kind: (
        clicks if kind < 7 else
        st.builds(NoteStep, _spread(0, 1), _spread(*range(8))) if kind == 7 else
        st.builds(RulesStep, st.integers(0, 5), st.integers(0, 12)) if kind == 8 else
        st.just(ProjectStep()))),
), min_size=15, max_size=80)


# --------------------------------------------------------------------------- the oracle


@dataclass
class Expected:
    flags: list[tuple[bool, bool, bool]]  # per click in log order: bot, self, unique
    days: dict[tuple[int, date], tuple[int, int, int]]  # (share, local day) → totals
    points: dict[int, int]  # advocate → click points


def oracle(timeline: list[tuple[datetime, Step]], token_expiry: list[datetime]) -> Expected:
    rules: list[tuple[datetime, int, int]] = []  # (since, points per unique click, daily cap)
    notes: list[tuple[int, int, datetime]] = []
    first_seen: set[tuple[int, date, int]] = set()
    address_uniques: dict[tuple[int, date, int], int] = defaultdict(int)
    days: dict[tuple[int, date], list[int]] = defaultdict(lambda: [0, 0, 0])
    points: dict[int, int] = defaultdict(int)
    flags: list[tuple[bool, bool, bool]] = []
    for at, step in timeline:
        if isinstance(step, RulesStep):
            rules.append((at, step.unique_click, step.cap))
        elif isinstance(step, NoteStep):
            notes.append((step.advocate, step.visitor, at))
        elif isinstance(step, ClickStep):
            salt_day = at.date()
            owner = OWNER[step.share]
            if step.bot:
                flags.append((True, False, False))
                continue
            own = (step.with_token and at < token_expiry[owner]) or any(
                a == owner and v == step.visitor and seen.date() == salt_day and seen <= at
                for a, v, seen in notes)
            unique = False
            if not own:
                key = (step.share, salt_day, step.visitor)
                if key not in first_seen:
                    first_seen.add(key)
                    if address_uniques[(step.share, salt_day, step.address)] < 3:
                        address_uniques[(step.share, salt_day, step.address)] += 1
                        unique = True
            flags.append((False, own, unique))
            if own:
                continue
            local = days[(step.share, at.astimezone(TZ).date())]
            local[0] += 1
            if unique:
                local[1] += 1
                per_click, cap = 2, 50
                for since, p, c in rules:
                    if since <= at:
                        per_click, cap = p, c
                earned = max(0, min(per_click, cap - local[2]))
                local[2] += earned
                points[owner] += earned
    return Expected(flags, {k: (v[0], v[1], v[2]) for k, v in days.items()}, dict(points))


# --------------------------------------------------------------------------- the system


async def _world(db: Database
                 ) -> tuple[list[str], list[tuple[str, str, str]], list[str], list[datetime]]:
    """Two advocates with their sign-in tokens and when those expire, and three shares:
    (id, advocate id, post id)."""
    async with db.transaction() as session:
        advocates = [await make_user(session) for _ in range(2)]
        posts = [await make_post(session) for _ in range(SHARES)]
        await publisher.run(session)
        shares = []
        for n, post in enumerate(posts):
            share, _, _ = await sharing_service.get_or_create(
                session, user=advocates[OWNER[n]], post_id=post.id, network=Network.linkedin)
            shares.append((share.id, share.user_id, share.post_id))
        tokens = [await token_for(session, a) for a in advocates]
        expiry = [await session.scalar(select(AuthToken.expires_at).where(
            AuthToken.token_hash == token_hash(t))) for t in tokens]
    return [a.id for a in advocates], shares, tokens, [e for e in expiry if e is not None]


async def _run(url: str, timeline: list[tuple[datetime, Step]]) -> None:
    db = Database(url, tz=TZ)
    try:
        advocates, shares, tokens, expiry = await _world(db)
        sqlite_log = SqliteClickLog.of(url)
        pg_log = PgClickLog(url) if sqlite_log is None else None
        pg_conn = await pg_log.connect() if pg_log is not None else None
        sqlite_conn = sqlite_log.connect() if sqlite_log is not None else None
        projector = ClickProjector(db, hooks=[gamification_service.award_clicks])
        versions: list[tuple[datetime, PointRules]] = []
        click_ids: list[str] = []
        for at, step in timeline:
            if isinstance(step, ClickStep):
                share_id, advocate_id, post_id = shares[step.share]
                click_id = f"click{len(click_ids):04d}-{'x' * 12}"
                click_ids.append(click_id)
                row = to_row(ClickDraft(
                    share_id=share_id, advocate_id=advocate_id, network="linkedin",
                    post_id=post_id, click_id=click_id, occurred_at=at, day=at.date(),
                    visitor_hash=f"visitor-{step.visitor}", device="desktop",
                    referrer_host=None, bot=step.bot,
                    session_token_hash=(token_hash(tokens[OWNER[step.share]])
                                        if step.with_token else None),
                    address_hash=f"address-{step.address}"))
                if sqlite_log is not None and sqlite_conn is not None:
                    sqlite_log.append(sqlite_conn, [row])
                elif pg_log is not None:
                    await pg_log.append(pg_conn, [row])
            elif isinstance(step, NoteStep):
                async with db.transaction() as session:
                    await session.execute(dialect_insert(session)(AdvocateVisitor).values(
                        user_id=advocates[step.advocate], day=at.date(),
                        visitor_hash=f"visitor-{step.visitor}", seen_at=at,
                    ).on_conflict_do_nothing())
            elif isinstance(step, RulesStep):
                versions.append((at, PointRules(unique_click=step.unique_click,
                                                unique_click_daily_cap=step.cap)))
                value = RuleBook(tuple(versions)).stored()
                async with db.transaction() as session:
                    await session.execute(dialect_insert(session)(AppSetting).values(
                        key=POINTS_KEY, value=value).on_conflict_do_update(
                        index_elements=["key"], set_={"value": value}))
            else:
                await projector.catch_up()
        await projector.catch_up()
        await projector.close()
        if sqlite_conn is not None:
            sqlite_conn.close()
        if pg_conn is not None:
            await pg_conn.close()

        expected = oracle(timeline, expiry)
        index = {share_id: n for n, (share_id, _, _) in enumerate(shares)}
        async with db.sessionmaker() as session:
            stored = {c.click_id: (c.bot, c.is_self, c.is_unique)
                      for c in await session.scalars(select(Click))}
            days = {(index[d.share_id], d.day): (d.clicks, d.unique_clicks, d.click_points)
                    for d in await session.scalars(select(ShareDay))}
            ledger = (await session.execute(select(PointsEntry.user_id, PointsEntry.points)
                                            .where(PointsEntry.kind == "click"))).all()
        assert [stored[c] for c in click_ids] == expected.flags
        assert {k: v for k, v in days.items() if v != (0, 0, 0)} == {
            k: v for k, v in expected.days.items() if v != (0, 0, 0)}
        points: dict[int, int] = defaultdict(int)
        for user_id, earned in ledger:
            points[advocates.index(user_id)] += earned
        assert {k: v for k, v in points.items() if v} == {
            k: v for k, v in expected.points.items() if v}
    finally:
        await db.dispose()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stream=steps)
def test_projection_matches_an_oracle_replaying_the_log(template: str, tmp_path: Path,
                                                        stream: list[tuple[int, Step]]) -> None:
    # Soon after now: sign-in tokens are valid for 12 hours, and streams run for days.
    start = (utcnow() + timedelta(minutes=5)).replace(second=0, microsecond=0, tzinfo=UTC)
    timeline: list[tuple[datetime, Step]] = []
    at = start
    for minutes, step in stream:
        at += timedelta(minutes=minutes, seconds=1)
        timeline.append((at, step))

    async def run() -> None:
        async with copy_of(template, tmp_path) as url:
            await _run(url, timeline)

    asyncio.run(run())
