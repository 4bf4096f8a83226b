"""Recording clicks durably without one fsync per click: group commit.

Each redirect hands its click to the process's single writer and waits. The writer takes
everything waiting, writes it in one transaction, commits, and only then releases the
redirects: a client that received its 302 has a committed click (it survives ``kill -9``),
and a burst of clicks costs one commit. While one batch commits, the next one gathers, so
an idle server adds no delay. Clicks never wait on Redis or on jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database, dialect_insert, new_id, org_tz, table
from app.models import AdvocateVisitor, AuthToken, Click, ShareDay, UniqueVisit

log = logging.getLogger("chorus.tracking")

MAX_BATCH = 512


@dataclass(frozen=True)
class ClickDraft:
    """What the request tells about a click; ``self`` and ``unique`` are decided on write."""

    share_id: str
    advocate_id: str
    click_id: str
    occurred_at: datetime
    day: date
    visitor_hash: str
    device: str
    referrer_host: str | None
    bot: bool
    session_token_hash: str | None


@dataclass(frozen=True)
class RecordedClick:
    """A click as written, flags decided: what the hooks (points, totals) see."""

    id: str
    click_id: str
    share_id: str
    occurred_at: datetime
    bot: bool
    is_self: bool
    is_unique: bool


ClickHook = Callable[[AsyncSession, Sequence[RecordedClick]], Awaitable[None]]
_CLICKS = table(Click)


async def _self_clicks(session: AsyncSession, drafts: Sequence[ClickDraft],
                       now: datetime) -> set[str]:
    """Click ids made by the sharing advocate: their own session cookie, or a visitor hash
    they used in an authenticated request during the salt day."""
    own: set[str] = set()
    hashes = {d.session_token_hash for d in drafts if d.session_token_hash}
    if hashes:
        owners = dict((await session.execute(
            select(AuthToken.token_hash, AuthToken.user_id)
            .where(AuthToken.token_hash.in_(hashes), AuthToken.expires_at > now)
        )).all())
        own |= {d.click_id for d in drafts if owners.get(d.session_token_hash or "")
                == d.advocate_id}
    keys = {(d.advocate_id, d.day, d.visitor_hash) for d in drafts}
    seen = set((await session.execute(
        select(AdvocateVisitor.user_id, AdvocateVisitor.day, AdvocateVisitor.visitor_hash)
        .where(tuple_(AdvocateVisitor.user_id, AdvocateVisitor.day,
                      AdvocateVisitor.visitor_hash).in_(keys))
    )).all())
    own |= {d.click_id for d in drafts if (d.advocate_id, d.day, d.visitor_hash) in seen}
    return own


async def _first_visits(session: AsyncSession, drafts: Sequence[ClickDraft]) -> set[str]:
    """Click ids that are their visitor's first counted click on the share that day. The
    primary key of ``unique_visits`` settles races between processes."""
    first: dict[tuple[str, date, str], str] = {}
    for d in drafts:
        first.setdefault((d.share_id, d.day, d.visitor_hash), d.click_id)
    if not first:
        return set()
    visits = table(UniqueVisit)
    inserted = (await session.execute(
        dialect_insert(session)(visits).on_conflict_do_nothing()
        .returning(visits.c.share_id, visits.c.day, visits.c.visitor_hash),
        [{"share_id": s, "day": day, "visitor_hash": h} for s, day, h in first],
    )).all()
    return {first[(s, day, h)] for s, day, h in inserted}


async def write_clicks(session: AsyncSession, drafts: Sequence[ClickDraft], *,
                       now: datetime, hooks: Sequence[ClickHook] = ()) -> list[RecordedClick]:
    """Decide each click's flags (once: they never change) and insert the clicks."""
    humans = [d for d in drafts if not d.bot]
    own = await _self_clicks(session, humans, now) if humans else set()
    unique = await _first_visits(session, [d for d in humans if d.click_id not in own])
    clicks = [RecordedClick(id=new_id(), click_id=d.click_id, share_id=d.share_id,
                            occurred_at=d.occurred_at, bot=d.bot, is_self=d.click_id in own,
                            is_unique=d.click_id in unique) for d in drafts]
    # Core executemany: the hot path has no use for ORM objects.
    await session.execute(insert(_CLICKS), [
        {"id": c.id, "click_id": c.click_id, "share_id": c.share_id,
         "occurred_at": c.occurred_at, "day": d.day, "visitor_hash": d.visitor_hash,
         "device": d.device, "referrer_host": d.referrer_host, "bot": c.bot,
         "self": c.is_self, "is_unique": c.is_unique}
        for c, d in zip(clicks, drafts, strict=True)
    ])
    await count_daily(session, clicks)
    for hook in hooks:
        await hook(session, clicks)
    return clicks


async def count_daily(session: AsyncSession, clicks: Sequence[RecordedClick]) -> None:
    """Add counted clicks (not bot, not self) to their share's total for the local day."""
    tz = org_tz(session)
    days: dict[tuple[str, date], list[int]] = {}
    for click in clicks:
        if not click.bot and not click.is_self:
            counts = days.setdefault((click.share_id, click.occurred_at.astimezone(tz).date()),
                                     [0, 0])
            counts[0] += 1
            counts[1] += click.is_unique
    if not days:
        return
    share_days = table(ShareDay)
    insert = dialect_insert(session)(share_days)
    await session.execute(insert.on_conflict_do_update(index_elements=["share_id", "day"], set_={
        "clicks": share_days.c.clicks + insert.excluded.clicks,
        "unique_clicks": share_days.c.unique_clicks + insert.excluded.unique_clicks,
    }), [{"share_id": s, "day": d, "clicks": c, "unique_clicks": u, "click_points": 0}
         for (s, d), (c, u) in sorted(days.items())])


class ClickRecorder:
    def __init__(self, db: Database, *, clock: Callable[[], datetime],
                 hooks: Sequence[ClickHook] = ()) -> None:
        self._db = db
        self._clock = clock
        self.hooks = list(hooks)
        self._queue: asyncio.Queue[tuple[ClickDraft, asyncio.Future[None]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self.batches = 0

    async def record(self, draft: ClickDraft) -> None:
        """Return once the click is committed; raise if it could not be."""
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_forever(), name="chorus-clicks")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((draft, done))
        await done

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                async with self._db.transaction() as session:
                    await write_clicks(session, [d for d, _ in batch], now=self._clock(),
                                       hooks=self.hooks)
            except Exception as exc:
                log.exception("recording %d clicks failed", len(batch))
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
            else:
                self.batches += 1
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
