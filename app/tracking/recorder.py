"""Recording clicks durably without one fsync per click: group commit.

Each redirect hands its click to the process's single writer and waits. The writer takes
everything waiting, writes it in one transaction, commits, and only then releases the
redirects: a client that received its 302 has a committed click (it survives ``kill -9``),
and a burst of clicks costs one commit. While one batch commits, the next one gathers, so
an idle server adds no delay. Clicks never wait on Redis or on jobs.

The writing itself (:func:`record_clicks`) is synchronous SQLAlchemy, so that one batch on
SQLite is one hop to a writer thread with its own connection instead of a dozen hops of an
async driver; on PostgreSQL the same function runs inside the async session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.db import Database, insert_for, org_tz, run_works, table, time_ordered_id
from app.models import AdvocateVisitor, AuthToken, Click, ShareDay, UniqueVisit
from app.webhooks import events as webhook_events

log = logging.getLogger("chorus.tracking")

MAX_BATCH = 512


@dataclass(frozen=True, slots=True)
class ClickDraft:
    """What the request tells about a click; ``self`` and ``unique`` are decided on write."""

    share_id: str
    advocate_id: str
    network: str
    post_id: str
    click_id: str
    occurred_at: datetime
    day: date
    visitor_hash: str
    device: str
    referrer_host: str | None
    bot: bool
    session_token_hash: str | None


@dataclass(frozen=True, slots=True)
class RecordedClick:
    """A click as written, flags decided: what the hooks (points, totals) see."""

    id: str
    click_id: str
    share_id: str
    advocate_id: str
    network: str
    post_id: str
    occurred_at: datetime
    bot: bool
    is_self: bool
    is_unique: bool

    @property
    def counted(self) -> bool:
        return not self.bot and not self.is_self


ClickHook = Callable[[Session, Sequence[RecordedClick]], None]
_CLICKS = table(Click)
_VISITS = table(UniqueVisit)
_SHARE_DAYS = table(ShareDay)
# Built once: constructing a statement costs more than running it on the hot path.
_INSERT_CLICKS = insert(_CLICKS)
_SESSION_OWNERS = select(AuthToken.token_hash, AuthToken.user_id).where(
    AuthToken.token_hash.in_(bindparam("hashes", expanding=True)),
    AuthToken.expires_at > bindparam("now"))
_ADVOCATE_VISITORS = select(
    AdvocateVisitor.user_id, AdvocateVisitor.day, AdvocateVisitor.visitor_hash,
).where(tuple_(AdvocateVisitor.user_id, AdvocateVisitor.day, AdvocateVisitor.visitor_hash)
        .in_(bindparam("keys", expanding=True)))


@lru_cache
def _insert_first_visits(dialect: str) -> Any:
    return (insert_for(dialect)(_VISITS).on_conflict_do_nothing()
            .returning(_VISITS.c.share_id, _VISITS.c.day, _VISITS.c.visitor_hash))


@lru_cache
def _add_daily_counts(dialect: str) -> Any:
    upsert = insert_for(dialect)(_SHARE_DAYS)
    return upsert.on_conflict_do_update(index_elements=["share_id", "day"], set_={
        "clicks": _SHARE_DAYS.c.clicks + upsert.excluded.clicks,
        "unique_clicks": _SHARE_DAYS.c.unique_clicks + upsert.excluded.unique_clicks,
    })


def _self_clicks(conn: Connection, drafts: Sequence[ClickDraft], now: datetime) -> set[str]:
    """Click ids made by the sharing advocate: their own session cookie, or a visitor hash
    they used in an authenticated request during the salt day."""
    own: set[str] = set()
    hashes = {d.session_token_hash for d in drafts if d.session_token_hash}
    if hashes:
        owners: dict[str, str] = dict(
            conn.execute(_SESSION_OWNERS, {"hashes": list(hashes), "now": now}).all())
        own |= {d.click_id for d in drafts if owners.get(d.session_token_hash or "")
                == d.advocate_id}
    keys = list({(d.advocate_id, d.day, d.visitor_hash) for d in drafts})
    seen = set(conn.execute(_ADVOCATE_VISITORS, {"keys": keys}).all())
    own |= {d.click_id for d in drafts if (d.advocate_id, d.day, d.visitor_hash) in seen}
    return own


def _first_visits(conn: Connection, drafts: Sequence[ClickDraft]) -> set[str]:
    """Click ids that are their visitor's first counted click on the share that day. The
    primary key of ``unique_visits`` settles races between processes."""
    first: dict[tuple[str, date, str], str] = {}
    for d in drafts:
        first.setdefault((d.share_id, d.day, d.visitor_hash), d.click_id)
    if not first:
        return set()
    inserted = conn.execute(
        _insert_first_visits(conn.dialect.name),
        [{"share_id": s, "day": day, "visitor_hash": h} for s, day, h in first],
    ).all()
    return {first[(s, day, h)] for s, day, h in inserted}


def record_clicks(session: Session, drafts: Sequence[ClickDraft], *, now: datetime,
                  hooks: Sequence[ClickHook] = ()) -> list[RecordedClick]:
    """Decide each click's flags (once: they never change), insert the clicks, count them
    per share and day, and run the hooks (points) in the same transaction."""
    conn = session.connection()
    humans = [d for d in drafts if not d.bot]
    own = _self_clicks(conn, humans, now) if humans else set()
    unique = _first_visits(conn, [d for d in humans if d.click_id not in own])
    clicks = [RecordedClick(id=time_ordered_id(), click_id=d.click_id, share_id=d.share_id,
                            advocate_id=d.advocate_id, network=d.network, post_id=d.post_id,
                            occurred_at=d.occurred_at, bot=d.bot,
                            is_self=d.click_id in own, is_unique=d.click_id in unique)
              for d in drafts]
    # Core executemany: the hot path has no use for ORM objects.
    conn.execute(_INSERT_CLICKS, [
        {"id": c.id, "click_id": c.click_id, "share_id": c.share_id,
         "occurred_at": c.occurred_at, "day": d.day, "visitor_hash": d.visitor_hash,
         "device": d.device, "referrer_host": d.referrer_host, "bot": c.bot,
         "self": c.is_self, "is_unique": c.is_unique}
        for c, d in zip(clicks, drafts, strict=True)
    ])
    count_daily(session, clicks)
    webhook_events.clicks_created(session, clicks)
    for hook in hooks:
        hook(session, clicks)
    return clicks


async def write_clicks(session: AsyncSession, drafts: Sequence[ClickDraft], *,
                       now: datetime, hooks: Sequence[ClickHook] = ()) -> list[RecordedClick]:
    """:func:`record_clicks` in an async session's transaction."""
    return await session.run_sync(record_clicks, drafts, now=now, hooks=hooks)


def count_daily(session: Session, clicks: Sequence[RecordedClick]) -> None:
    """Add counted clicks (not bot, not self) to their share's total for the local day."""
    tz = org_tz(session)
    # (share, local day) -> a click of that share (its advocate, network, post), counts
    days: dict[tuple[str, date], tuple[RecordedClick, list[int]]] = {}
    for click in clicks:
        if click.counted:
            _, counts = days.setdefault(
                (click.share_id, click.occurred_at.astimezone(tz).date()), (click, [0, 0]))
            counts[0] += 1
            counts[1] += click.is_unique
    if not days:
        return
    conn = session.connection()
    conn.execute(_add_daily_counts(conn.dialect.name), [
        {"share_id": share_id, "day": day, "user_id": click.advocate_id,
         "network": click.network, "post_id": click.post_id, "clicks": n,
         "unique_clicks": unique, "click_points": 0}
        for (share_id, day), (click, (n, unique)) in sorted(days.items(),
                                                             key=lambda item: item[0])])


_Waiter = tuple[ClickDraft, asyncio.Future[None]]
_Handover = tuple[asyncio.AbstractEventLoop, list[_Waiter]]


def _settle(waiters: Sequence[_Waiter], error: BaseException | None) -> None:
    for _, done in waiters:
        if not done.done():
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


class ClickRecorder:
    """The process's click writer. On an SQLite file it is a thread with its own
    synchronous connection (one hop per batch); elsewhere a task on the event loop."""

    def __init__(self, db: Database, *, clock: Callable[[], datetime],
                 hooks: Sequence[ClickHook] = ()) -> None:
        self._db = db
        self._clock = clock
        self.hooks = list(hooks)
        self._threaded = db.sync_engine_url() is not None
        # The thread's queue is thread-safe; the task's is the event loop's own. The thread
        # is handed the clicks of one turn of the event loop at a time: fewer wake-ups, and
        # fewer trips of the GIL between the two threads.
        self._pending: queue.SimpleQueue[_Handover | None] = queue.SimpleQueue()
        self._gathering: list[_Waiter] = []
        self._thread: threading.Thread | None = None
        self._queue: asyncio.Queue[_Waiter] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def record(self, draft: ClickDraft) -> None:
        """Return once the click is committed; raise if it could not be."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._threaded:
            if self._thread is None or not self._thread.is_alive():
                self._start_thread()
            if not self._gathering:
                done.get_loop().call_soon(self._hand_over)
            self._gathering.append((draft, done))
        else:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._write_forever(), name="chorus-clicks")
            self._queue.put_nowait((draft, done))
        await done

    # ------------------------------------------------------------------ on the event loop

    async def _write_forever(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            error: BaseException | None = None
            try:
                async with self._db.transaction() as session:
                    await write_clicks(session, [d for d, _ in batch], now=self._clock(),
                                       hooks=self.hooks)
            except Exception as exc:
                log.exception("recording %d clicks failed", len(batch))
                error = exc
            _settle(batch, error)

    # ------------------------------------------------------------------ on a thread

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run_thread, name="chorus-clicks",
                                        daemon=True)
        self._thread.start()

    def _hand_over(self) -> None:
        if self._gathering:
            self._pending.put((asyncio.get_running_loop(), self._gathering))
            self._gathering = []

    def _run_thread(self) -> None:
        engine = self._db.sync_engine()
        try:
            stop = False
            while not stop:
                first = self._pending.get()
                if first is None:
                    return
                handovers = [first]
                count = len(first[1])
                while count < MAX_BATCH:
                    try:
                        more = self._pending.get_nowait()
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                        break
                    handovers.append(more)
                    count += len(more[1])
                self._write_batch(engine, handovers)
        finally:
            engine.dispose()

    def _write_batch(self, engine: Engine, handovers: list[_Handover]) -> None:
        batch = [waiter for _, waiters in handovers for waiter in waiters]
        error: BaseException | None = None
        try:
            with Session(engine, info={"tz": self._db.tz, "database": self._db}) as session:
                with session.begin():
                    record_clicks(session, [d for d, _ in batch], now=self._clock(),
                                  hooks=self.hooks)
                # What the commit sends (the webhook delivery job) is the event loop's work.
                works = session.info.pop("after_commit", [])
                if works:
                    with contextlib.suppress(RuntimeError):  # that loop is closed
                        asyncio.run_coroutine_threadsafe(run_works(works), handovers[0][0])
        except Exception as exc:
            log.exception("recording %d clicks failed", len(batch))
            error = exc
        for loop, waiters in handovers:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, waiters, error)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._thread is not None and self._thread.is_alive():
            self._hand_over()  # clicks of this turn go before the stop
            self._pending.put(None)
            await asyncio.to_thread(self._thread.join)
