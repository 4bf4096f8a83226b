"""Points, period totals and badges, awarded in the same transaction as their event.

Every award is an insert into the ledger keyed by its event (``share:<id>``, …): a trigger
processed twice, or by two processes at once, awards once, because the second insert finds
the key taken. Period totals move only when the ledger insert succeeds, so they stay exactly
the sum of the events. Rules are read at award time: a rule change never rewrites history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.bulk_insert import insert_new_rows
from app.core.db import dialect_insert, insert_for, new_id, org_tz, table, time_ordered_ids
from app.gamification import badges
from app.gamification.periods import Period, local_day, period_starts, starts_of_day
from app.gamification.rules import point_rules, read_point_rules
from app.models import Conversion, PeriodStats, PointsEntry, Post, Share, ShareDay
from app.models.enums import PostStatus
from app.tracking.projection import RecordedClick
from app.webhooks import events as webhook_events

_COUNTERS = ("points", "shares", "clicks", "conversions")


@dataclass
class Tally:
    """Increments of the period totals, written in one statement."""

    rows: dict[tuple[str, Period, date], list[int]] = field(default_factory=dict)

    def add(self, session: AsyncSession | Session, user_id: str, moment: datetime, *,
            points: int = 0, shares: int = 0, clicks: int = 0, conversions: int = 0) -> None:
        self.add_on(user_id, local_day(moment, org_tz(session)), points=points, shares=shares,
                    clicks=clicks, conversions=conversions)

    def add_on(self, user_id: str, day: date, *, points: int = 0, shares: int = 0,
               clicks: int = 0, conversions: int = 0) -> None:
        """Add to every period that the local ``day`` falls into."""
        for period, start in starts_of_day(day).items():
            row = self.rows.setdefault((user_id, period, start), [0, 0, 0, 0])
            for i, n in enumerate((points, shares, clicks, conversions)):
                row[i] += n

    async def write(self, session: AsyncSession) -> None:
        await session.run_sync(self.flush)

    def flush(self, session: Session) -> None:
        if not self.rows:
            return
        conn = session.connection()
        conn.execute(_add_to_totals(conn.dialect.name), [
            {"user_id": u, "period": p.value, "starts_on": s,
             **dict(zip(_COUNTERS, counts, strict=True))}
            for (u, p, s), counts in sorted(self.rows.items())])
        self.rows.clear()


@lru_cache
def _add_to_totals(dialect: str) -> Any:
    totals = table(PeriodStats)
    upsert = insert_for(dialect)(totals)
    return upsert.on_conflict_do_update(
        index_elements=["user_id", "period", "starts_on"],
        set_={c: totals.c[c] + upsert.excluded[c] for c in _COUNTERS})


_LEDGER = table(PointsEntry)


_SPENT_TODAY = select(ShareDay.share_id, ShareDay.day, ShareDay.click_points).where(
    tuple_(ShareDay.share_id, ShareDay.day).in_(bindparam("keys", expanding=True)))
_DAYS = table(ShareDay)
_SPEND = (update(_DAYS).where(_DAYS.c.share_id == bindparam("s"), _DAYS.c.day == bindparam("d"))
          .values(click_points=_DAYS.c.click_points + bindparam("n")))


async def _award(session: AsyncSession, *, event_key: str, user_id: str, kind: str,
                 points: int, occurred_at: datetime, share_id: str | None = None) -> bool:
    """Append the event to the ledger; False when it was already awarded."""
    inserted = await session.scalar(
        dialect_insert(session)(PointsEntry).values(
            id=new_id(), event_key=event_key, user_id=user_id, kind=kind, points=points,
            occurred_at=occurred_at, share_id=share_id,
        ).on_conflict_do_nothing(index_elements=["event_key"]).returning(PointsEntry.id))
    if inserted is not None:
        await webhook_events.points_awarded(session, key=event_key, user_id=user_id, kind=kind,
                                            points=points, occurred_at=occurred_at,
                                            share_id=share_id)
    return inserted is not None


async def on_share_created(session: AsyncSession, share: Share) -> None:
    rules = (await point_rules(session)).at(share.created_at)
    if not await _award(session, event_key=f"share:{share.id}", user_id=share.user_id,
                        kind="share", points=rules.share_created, occurred_at=share.created_at,
                        share_id=share.id):
        return
    tally = Tally()
    tally.add(session, share.user_id, share.created_at, points=rules.share_created, shares=1)
    await tally.write(session)
    await _share_badges(session, share.user_id, share.created_at)


async def _share_badges(session: AsyncSession, user_id: str, moment: datetime) -> None:
    await badges.grant(session, "first-share", {user_id: moment})
    total = await session.scalar(select(PeriodStats.shares).where(
        PeriodStats.user_id == user_id, PeriodStats.period == Period.all))
    if (total or 0) >= 10:
        await badges.grant(session, "ten-shares", {user_id: moment})
    this_week = period_starts(moment, org_tz(session))[Period.week]
    weeks = [this_week - timedelta(weeks=i) for i in range(4)]
    active = await session.scalar(select(func.count()).select_from(PeriodStats).where(
        PeriodStats.user_id == user_id, PeriodStats.period == Period.week,
        PeriodStats.starts_on.in_(weeks), PeriodStats.shares > 0))
    if active == 4:
        await badges.grant(session, "streak-4", {user_id: moment})


async def on_clicks(session: AsyncSession, clicks: Sequence[RecordedClick]) -> None:
    """:func:`award_clicks` in an async session's transaction."""
    await session.run_sync(award_clicks, clicks)


def award_clicks(session: Session, clicks: Sequence[RecordedClick]) -> None:
    """Counted clicks (not bot, not self) add to the advocate's totals; unique ones earn
    points, at most the daily cap per share and local day. Every counted click gets a ledger
    row (zero points when not unique or capped), so replaying clicks changes nothing.

    A handful of statements per batch, whatever its size: the recorder calls this for every
    group commit of clicks, in the batch's transaction.
    """
    counted = [c for c in clicks if c.counted]
    if not counted:
        return
    tz = org_tz(session)
    book = read_point_rules(session)
    conn = session.connection()
    groups: dict[tuple[str, date], list[RecordedClick]] = defaultdict(list)
    for click in counted:
        groups[(click.share_id, local_day(click.occurred_at, tz))].append(click)
    # The recorder's daily counts already wrote (and so locked) these rows in this
    # transaction: no other writer can spend the same remaining cap before we commit.
    earning = [key for key, group in groups.items() if any(c.is_unique for c in group)]
    spent: dict[tuple[str, date], int] = {}
    if earning:
        spent = {(s, d): p for s, d, p in conn.execute(_SPENT_TODAY, {"keys": earning}).all()}
    planned: dict[str, tuple[RecordedClick, tuple[str, date], int]] = {}
    for key, group in groups.items():
        used = spent.get(key, 0)
        for click in group:
            points = 0
            if click.is_unique:
                rules = book.at(click.occurred_at)
                points = max(0, min(rules.unique_click, rules.unique_click_daily_cap - used))
            used += points
            planned[f"click:{click.click_id}"] = (click, key, points)
    inserted = insert_new_rows(conn, _LEDGER, [
        {"id": row_id, "event_key": event_key, "user_id": click.advocate_id,
         "kind": "click", "points": points, "occurred_at": click.occurred_at,
         "share_id": click.share_id, "created_at": click.occurred_at}
        for row_id, (event_key, (click, _, points))
        in zip(time_ordered_ids(len(planned)), planned.items(), strict=True)], key="event_key")
    awarded: dict[tuple[str, date], int] = defaultdict(int)
    earned: dict[tuple[str, date], list[int]] = {}
    first_click: dict[str, datetime] = {}
    for event_key, (click, key, points) in planned.items():
        if event_key in inserted:
            user_id = click.advocate_id
            awarded[key] += points
            totals = earned.setdefault((user_id, key[1]), [0, 0])
            totals[0] += points
            totals[1] += 1
            first_click[user_id] = min(click.occurred_at,
                                       first_click.get(user_id, click.occurred_at))
    webhook_events.clicks_awarded(session, [(click, points) for event_key, (click, _, points)
                                            in planned.items() if event_key in inserted])
    updates = [{"s": s, "d": d, "n": n} for (s, d), n in awarded.items() if n]
    if updates:
        conn.execute(_SPEND, updates)
    tally = Tally()
    for (user_id, day), (points, count) in earned.items():
        tally.add_on(user_id, day, points=points, clicks=count)
    tally.flush(session)
    badges.grant_now(session, "first-click", first_click)


async def on_conversion(session: AsyncSession, conversion: Conversion) -> None:
    if not conversion.attributed or conversion.advocate_id is None:
        return
    rules = (await point_rules(session)).at(conversion.occurred_at)
    if not await _award(session, event_key=f"conversion:{conversion.id}",
                        user_id=conversion.advocate_id, kind="conversion",
                        points=rules.attributed_conversion, occurred_at=conversion.occurred_at,
                        share_id=conversion.share_id):
        return
    tally = Tally()
    tally.add(session, conversion.advocate_id, conversion.occurred_at,
              points=rules.attributed_conversion, conversions=1)
    await tally.write(session)
    await badges.grant(session, "first-conversion",
                       {conversion.advocate_id: conversion.occurred_at})


async def on_suggestion_approved(session: AsyncSession, post: Post, *, at: datetime) -> None:
    if post.suggested_by is None:
        return
    rules = (await point_rules(session)).at(at)
    if not await _award(session, event_key=f"suggestion:{post.id}", user_id=post.suggested_by,
                        kind="suggestion", points=rules.suggestion_approved, occurred_at=at):
        return
    tally = Tally()
    tally.add(session, post.suggested_by, at, points=rules.suggestion_approved)
    await tally.write(session)
    approved = await session.scalar(select(func.count()).select_from(Post).where(
        Post.suggested_by == post.suggested_by,
        Post.status.in_([PostStatus.queued, PostStatus.published, PostStatus.archived])))
    if (approved or 0) >= 3:
        await badges.grant(session, "curator", {post.suggested_by: at})
