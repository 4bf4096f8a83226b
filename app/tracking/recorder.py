"""Making clicks durable without one fsync per click: group commit into the click log.

Each redirect hands its click to the process's single log writer and waits. The writer
takes everything waiting, appends it to the log in one transaction, commits, and only then
releases the redirects: a client that received its 302 has a committed click (it survives
``kill -9``), and a burst of clicks costs one commit. While one batch commits, the next one
gathers, so an idle server adds no delay. Nothing else is written before the 302: flags,
totals and points are the projector's work, right after (``app.tracking.projector``).

On SQLite the writer is a thread with its own ``sqlite3`` connection to the log's file (one
hop per batch); on PostgreSQL a task with its own asyncpg connection, writing with ``COPY``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from app.core.db import Database
from app.tracking.click_log import LogRow, PgClickLog, SqliteClickLog, to_row
from app.tracking.projection import ClickDraft

if TYPE_CHECKING:
    from app.tracking.projector import ClickProjector

log = logging.getLogger("chorus.tracking")

MAX_BATCH = 1024

_Waiter = tuple[LogRow, asyncio.Future[None]]
_Handover = tuple[asyncio.AbstractEventLoop, list[_Waiter]]


def _settle(waiters: list[_Waiter], error: BaseException | None) -> None:
    for _, done in waiters:
        if not done.done():
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


class ClickRecorder:
    """The process's click-log writer; it wakes the process's projector after each click
    committed, and closes it with itself."""

    def __init__(self, db: Database, *, projector: ClickProjector | None = None) -> None:
        self.projector = projector
        self._sqlite = SqliteClickLog.of(db.url)
        self._pg = PgClickLog(db.url) if not db.is_sqlite else None
        # The thread is handed the clicks of one turn of the event loop at a time: fewer
        # wake-ups, and fewer trips of the GIL between the two threads.
        self._pending: queue.SimpleQueue[_Handover | None] = queue.SimpleQueue()
        self._gathering: list[_Waiter] = []
        self._thread: threading.Thread | None = None
        self._queue: asyncio.Queue[_Waiter] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def record(self, draft: ClickDraft) -> None:
        """Return once the click is committed to the log; raise if it could not be."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._sqlite is not None:
            if self._thread is None or not self._thread.is_alive():
                self._start_thread()
            if not self._gathering:
                done.get_loop().call_soon(self._hand_over)
            self._gathering.append((to_row(draft), done))
        elif self._pg is not None:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._write_forever(self._pg),
                                                 name="chorus-clicks")
            self._queue.put_nowait((to_row(draft), done))
        else:
            raise RuntimeError("clicks are recorded in an SQLite file or PostgreSQL")
        await done
        if self.projector is not None:
            self.projector.wake()

    # ------------------------------------------------------------------ PostgreSQL

    async def _write_forever(self, click_log: PgClickLog) -> None:
        conn: Any = None
        try:
            while True:
                batch = [await self._queue.get()]
                while len(batch) < MAX_BATCH and not self._queue.empty():
                    batch.append(self._queue.get_nowait())
                error: BaseException | None = None
                try:
                    if conn is None or conn.is_closed():
                        conn = await click_log.connect()
                    await click_log.append(conn, [row for row, _ in batch])
                except Exception as exc:
                    log.exception("recording %d clicks failed", len(batch))
                    error = exc
                    if conn is not None:
                        await _close_quietly(conn)
                    conn = None
                _settle(batch, error)
        finally:
            if conn is not None:
                await _close_quietly(conn)

    # ------------------------------------------------------------------ SQLite, on a thread

    def _start_thread(self) -> None:
        self._thread = threading.Thread(target=self._run_thread, name="chorus-clicks",
                                        daemon=True)
        self._thread.start()

    def _hand_over(self) -> None:
        if self._gathering:
            self._pending.put((asyncio.get_running_loop(), self._gathering))
            self._gathering = []

    def _run_thread(self) -> None:
        assert self._sqlite is not None
        conn: sqlite3.Connection | None = None
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
                if conn is None:
                    conn = self._sqlite.connect()
                self._write_batch(conn, handovers)
        finally:
            if conn is not None:
                conn.close()

    def _write_batch(self, conn: sqlite3.Connection, handovers: list[_Handover]) -> None:
        assert self._sqlite is not None
        batch = [waiter for _, waiters in handovers for waiter in waiters]
        error: BaseException | None = None
        try:
            self._sqlite.append(conn, [row for row, _ in batch])
        except Exception as exc:
            log.exception("recording %d clicks failed", len(batch))
            error = exc
        for loop, waiters in handovers:
            with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits
                loop.call_soon_threadsafe(_settle, waiters, error)

    async def close(self) -> None:
        if self.projector is not None:
            await self.projector.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._thread is not None and self._thread.is_alive():
            self._hand_over()  # clicks of this turn go before the stop
            self._pending.put(None)
            await asyncio.to_thread(self._thread.join)


async def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        await conn.close()
