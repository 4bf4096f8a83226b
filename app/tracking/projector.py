"""The projector: the click log turned into clicks and everything counted from them, once.

It runs inside ``chorus serve`` (and ``chorus worker``), woken by each committed batch of
the redirect's log writer and every second besides. Each batch is one transaction of the
database that holds, together, the ``clicks`` rows with their flags decided
(:func:`record_clicks`), the daily totals, points, badges and webhook events, and the
cursor: a crash anywhere leaves either all of it or none, so nothing is counted twice and
nothing is lost. Projectors of several processes take turns under the cursor row's lock
(on SQLite, the database's own write lock).

On SQLite the cursor is the last log ``seq`` projected (commit order, see
``app.tracking.click_log``); entries up to it are then deleted from the log's file. On
PostgreSQL the batch takes its entries out of the log table in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram
from sqlalchemy import Engine, select, text, update
from sqlalchemy.orm import Session

from app.core.clock import utcnow
from app.core.db import AfterCommit, Database, run_works
from app.core.metrics import observe_all
from app.models import ClickProjection
from app.tracking.click_log import Entry, PgClickLog, SqliteClickLog
from app.tracking.projection import PROJECTION, ClickHook, record_clicks

log = logging.getLogger("chorus.tracking")

BATCH = 2000
POLL_SECONDS = 1.0
# Woken by a click, the projector lets the clicks of the next few milliseconds join the
# batch: under load a batch of hundreds costs little more than a batch of one.
GATHER_SECONDS = 0.05
_CURSOR = select(ClickProjection.log_position).where(ClickProjection.name == PROJECTION)
# Projected entries are deleted from the log's file once this many wait, or once the log
# has been quiet this long.
TRIM_ENTRIES = 5000
TRIM_IDLE_SECONDS = 2.0
_ANY_LOGGED = text("SELECT 1 FROM click_log LIMIT 1")
# The projectors' lock (PostgreSQL): whoever holds it may write what clicks count for.
PROJECTORS_LOCK = _CURSOR.with_for_update()


def _lag_histogram(registry: CollectorRegistry | None) -> Histogram:
    return Histogram(
        "chorus_click_projection_lag_seconds",
        "From a click's time to the commit of its flags, totals and points.",
        registry=registry,
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))


class ClickProjector:
    def __init__(self, db: Database, *, hooks: Sequence[ClickHook] = (),
                 clock: Callable[[], datetime] = utcnow,
                 registry: CollectorRegistry | None = None) -> None:
        self._db = db
        self._hooks = list(hooks)
        self._clock = clock
        self._lag = _lag_histogram(registry)
        self._sqlite = SqliteClickLog.of(db.url)
        self._pg = PgClickLog(db.url) if not db.is_sqlite else None
        self._woken = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        # SQLite: one thread, its own connections to the database and the log's file.
        self._executor: ThreadPoolExecutor | None = None
        self._engine: Engine | None = None
        self._log_conn: Any = None
        self._seen = -1  # the last log seq known to be projected, by anyone
        self._trimmed, self._trimmed_at = 0, time.monotonic()  # deleted from the log's file

    # ------------------------------------------------------------------ running

    def start(self) -> None:
        if not self._closing and (self._task is None or self._task.done()):
            self._task = asyncio.get_running_loop().create_task(self._run(),
                                                                name="chorus-projector")

    def wake(self) -> None:
        self.start()
        self._woken.set()

    async def _run(self) -> None:
        while not self._closing:
            # Not wait_for: on Python 3.11 it can swallow a cancellation that arrives as
            # the event is set, and then this loop would never stop.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(POLL_SECONDS):
                    await self._woken.wait()
            if self._woken.is_set():
                await asyncio.sleep(GATHER_SECONDS)
            self._woken.clear()
            if self._closing:
                return
            try:
                await self.catch_up()
            except Exception:
                log.exception("projecting clicks failed; trying again shortly")
                await asyncio.sleep(POLL_SECONDS)

    async def catch_up(self) -> int:
        """Project every click logged so far; the number projected by this call."""
        total = 0
        async with self._lock:
            while True:
                done = await self._batch()
                total += done
                if done < BATCH:
                    return total

    async def catch_up_if_new(self) -> int:
        """:meth:`catch_up` when the log holds something not projected yet, without taking
        the projectors' lock when it does not (a process polling the log asks often)."""
        if self._pg is not None:
            async with self._db.engine.connect() as conn:
                if (await conn.execute(_ANY_LOGGED)).first() is None:
                    return 0
        # On SQLite a batch first looks past the last position it knows, without the lock.
        return await self.catch_up()

    async def close(self) -> None:
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._executor is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._dispose)
            self._executor.shutdown()
            self._executor = None

    # ------------------------------------------------------------------ one batch

    async def _batch(self) -> int:
        if self._sqlite is not None:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(1, thread_name_prefix="chorus-projector")
            done, works = await asyncio.get_running_loop().run_in_executor(
                self._executor, self._sqlite_batch, self._sqlite)
            await run_works(works)
            return done
        if self._pg is not None:
            async with self._db.transaction() as session:
                return await session.run_sync(self._pg_batch, self._pg)
        return 0

    def _project(self, session: Session, entries: list[Entry]) -> None:
        record_clicks(session, [draft for _, draft in entries], hooks=self._hooks)

    def _observe(self, entries: list[Entry]) -> None:
        now = self._clock()
        observe_all(self._lag, (max(0.0, (now - draft.occurred_at).total_seconds())
                                for _, draft in entries))

    def _pg_batch(self, session: Session, click_log: PgClickLog) -> int:
        session.execute(PROJECTORS_LOCK).one()  # one projector at a time
        entries = click_log.take(session, BATCH)
        if entries:
            self._project(session, entries)
            # Observed before the commit: a batch that fails to commit is retried.
            self._observe(entries)
        return len(entries)

    def _sqlite_batch(self, click_log: SqliteClickLog) -> tuple[int, list[AfterCommit]]:
        if self._engine is None:
            self._engine = self._db.sync_engine()
            self._log_conn = click_log.connect(durable=False)
        if self._seen >= 0 and not click_log.after(self._log_conn, self._seen, 1):
            self._trim(click_log, idle=True)
            return 0, []  # nothing new: no need for the database's write lock
        started = time.perf_counter()
        with Session(self._engine, info={"tz": self._db.tz, "database": self._db}) as session:
            with session.begin():  # BEGIN IMMEDIATE: the database's write lock
                position = int(session.execute(_CURSOR).scalar_one())
                entries = click_log.after(self._log_conn, position, BATCH)
                if not entries:
                    self._seen = position
                    return 0, []
                self._project(session, entries)
                last = entries[-1][0]
                session.execute(update(ClickProjection)
                                .where(ClickProjection.name == PROJECTION)
                                .values(log_position=last))
            works: list[AfterCommit] = session.info.pop("after_commit", [])
        self._seen = last
        self._observe(entries)
        self._trim(click_log, idle=False)
        log.debug("projected %d clicks in %.1f ms", len(entries),
                  (time.perf_counter() - started) * 1000)
        return len(entries), works

    def _trim(self, click_log: SqliteClickLog, *, idle: bool) -> None:
        """Delete projected entries from the log's file now and then, not after every batch:
        each delete is a commit of that file, which the redirects' writer then waits for."""
        behind = self._seen - self._trimmed
        if behind <= 0:
            return
        if behind >= TRIM_ENTRIES or (idle and time.monotonic() - self._trimmed_at
                                      >= TRIM_IDLE_SECONDS):
            click_log.trim(self._log_conn, self._seen)
            self._trimmed, self._trimmed_at = self._seen, time.monotonic()

    def _dispose(self) -> None:
        if self._log_conn is not None:
            self._log_conn.close()
            self._log_conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    async def settle(self, click_id: str) -> bool:
        """Project the log if ``click_id`` is waiting in it; whether it was. Call it outside
        any transaction that has written (the projection takes the write lock)."""
        if self._sqlite is not None:
            sqlite_log = self._sqlite
            position = await self._position()
            waiting = await asyncio.to_thread(
                self._with_log, lambda conn: sqlite_log.holds(conn, position, click_id))
        elif self._pg is not None:
            pg_log = self._pg
            async with self._db.sessionmaker() as session:
                waiting = await session.run_sync(lambda s: pg_log.holds(s, click_id))
        else:
            return False
        if waiting:
            await self.catch_up()
        return bool(waiting)

    # ------------------------------------------------------------------ inspection

    async def pending(self) -> int:
        """Clicks logged and not projected yet."""
        if self._sqlite is not None:
            sqlite_log = self._sqlite
            if not sqlite_log.path.exists():
                return 0  # nothing was ever logged (and looking must not make the file)
            position = await self._position()
            return int(await asyncio.to_thread(
                self._with_log, lambda conn: sqlite_log.count_after(conn, position)))
        if self._pg is not None:
            pg_log = self._pg
            async with self._db.sessionmaker() as session:
                return await session.run_sync(pg_log.count)
        return 0

    async def _position(self) -> int:
        async with self._db.engine.connect() as conn:
            return int((await conn.execute(_CURSOR)).scalar_one())

    def _with_log(self, read: Callable[[Any], Any]) -> Any:
        assert self._sqlite is not None
        conn = self._sqlite.connect()
        try:
            return read(conn)
        finally:
            conn.close()
