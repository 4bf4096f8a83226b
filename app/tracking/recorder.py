"""Making clicks durable without one fsync per click: group commit into the click log.

Each redirect hands its click to the process's single log writer and waits. The writer
takes everything waiting, appends it to the log in one transaction, commits, and only then
releases the redirects: a client that received its 302 has a committed click (it survives
``kill -9``), and a burst of clicks costs one commit. While one batch commits, the next one
gathers, so an idle server adds no delay. Nothing else is written before the 302: flags,
totals and points are the projector's work, right after (``app.tracking.projector``).

On SQLite the writer is a process of its own (``app.tracking.log_writer``), fed through a
pipe: the event loop writes each turn's clicks to it at once and reads back one byte per
batch once it is committed, so a batch never waits for the one before it to be answered, and
no thread of the web worker waits for the GIL. On PostgreSQL the writer is a task with its
own asyncpg connection, writing with ``COPY``.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from app.core.db import Database
from app.tracking import log_writer
from app.tracking.click_log import LogRow, PgClickLog, SqliteClickLog, to_row
from app.tracking.projection import ClickDraft

if TYPE_CHECKING:
    from app.tracking.projector import ClickProjector

log = logging.getLogger("chorus.tracking")

MAX_BATCH = 1024
STOP_SECONDS = 30.0

_Waiter = tuple[LogRow, asyncio.Future[None]]


class ClickLogFailed(RuntimeError):
    """The click log's writer could not commit a batch."""


def _settle(waiters: list[_Waiter], error: BaseException | None) -> None:
    for _, done in waiters:
        if not done.done():
            if error is None:
                done.set_result(None)
            else:
                done.set_exception(error)


class _WriterProcess:
    """The SQLite click log's writer process, and the batches it has not answered yet in
    the order they were sent (it answers in that order)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.loop = asyncio.get_running_loop()
        self._waiting: collections.deque[list[_Waiter]] = collections.deque()
        self._reader = asyncio.create_task(self._read_answers(), name="chorus-clicks")

    @classmethod
    async def start(cls, click_log: SqliteClickLog) -> _WriterProcess:
        # The table is made (for a database restored without it) before the writer opens it.
        await asyncio.to_thread(lambda: click_log.connect().close())
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "app.tracking.log_writer", str(click_log.path),
            str(os.getpid()), stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        return cls(process)

    @property
    def alive(self) -> bool:
        return not self._reader.done() and self.loop is asyncio.get_running_loop()

    def send(self, waiters: list[_Waiter]) -> None:
        """Send a batch at once, whatever its size: the writer takes every batch waiting
        into its next commit (in statements it sizes itself), so batches are not held back
        while one commits."""
        stdin = self.process.stdin
        if stdin is None or stdin.is_closing():
            raise ClickLogFailed("the click log's writer is stopping")
        stdin.write(log_writer.frame([row for row, _ in waiters]))
        self._waiting.append(waiters)

    async def _read_answers(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        error: BaseException = ClickLogFailed("the click log's writer stopped")
        try:
            while answers := await stdout.read(65536):
                for answer in answers:
                    waiters = self._waiting.popleft()
                    if answer == log_writer.COMMITTED[0]:
                        _settle(waiters, None)
                    else:
                        log.error("recording %d clicks failed", len(waiters))
                        _settle(waiters, ClickLogFailed("the click log refused a batch"))
        except BaseException as exc:
            error = exc
            raise
        finally:
            # No answer will come: nobody waits for ever (no click, no 302).
            while self._waiting:
                _settle(self._waiting.popleft(), error)

    async def close(self) -> None:
        """Let the writer commit what it was sent, then stop."""
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            async with asyncio.timeout(STOP_SECONDS):
                await asyncio.shield(self._reader)
                await self.process.wait()
        except TimeoutError:
            log.warning("the click log's writer did not stop in %.0f s; killing it",
                        STOP_SECONDS)
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            await self.process.wait()


class ClickRecorder:
    """The process's click-log writer; it wakes the process's projector after each click
    committed, and closes it with itself."""

    def __init__(self, db: Database, *, projector: ClickProjector | None = None) -> None:
        self.projector = projector
        self._sqlite = SqliteClickLog.of(db.url)
        self._pg = PgClickLog(db.url) if not db.is_sqlite else None
        # The writer process is sent the clicks of one turn of the event loop at a time.
        self._gathering: list[_Waiter] = []
        self._writer: _WriterProcess | None = None
        self._starting: asyncio.Task[_WriterProcess] | None = None
        self._queue: asyncio.Queue[_Waiter] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def record(self, draft: ClickDraft) -> None:
        """Return once the click is committed to the log; raise if it could not be."""
        await self.record_row(to_row(draft))

    async def record_row(self, row: LogRow) -> None:
        """:meth:`record` for a click already in the log's form (``click_log.log_row``)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._sqlite is not None:
            if self._writer is None or not self._writer.alive:
                await self._start_writer(self._sqlite)
            if not self._gathering:
                done.get_loop().call_soon(self._hand_over)
            self._gathering.append((row, done))
        elif self._pg is not None:
            if self._task is None or self._task.done():
                self._task = asyncio.create_task(self._write_forever(self._pg),
                                                 name="chorus-clicks")
            self._queue.put_nowait((row, done))
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

    # ------------------------------------------------------------------ SQLite: a process

    async def _start_writer(self, click_log: SqliteClickLog) -> None:
        """Start the writer process (again, if it died or belongs to another event loop);
        the redirects that arrive meanwhile wait for the same start."""
        if self._starting is None or self._starting.done():
            old, self._writer = self._writer, None
            if old is not None and old.loop is asyncio.get_running_loop():
                await old.close()
            self._starting = asyncio.create_task(_WriterProcess.start(click_log))
        self._writer = await asyncio.shield(self._starting)

    def _hand_over(self) -> None:
        batch, self._gathering = self._gathering, []
        if not batch:
            return
        try:
            if self._writer is None or not self._writer.alive:
                raise ClickLogFailed("the click log's writer stopped")
            self._writer.send(batch)
        except Exception as exc:
            log.exception("handing %d clicks to the click log's writer failed", len(batch))
            _settle(batch, exc)

    async def close(self) -> None:
        if self.projector is not None:
            await self.projector.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._starting is not None and not self._starting.done():
            with contextlib.suppress(Exception):
                await self._starting
        if self._writer is not None:
            self._hand_over()  # clicks of this turn go before the stop
            if self._writer.loop is asyncio.get_running_loop():
                await self._writer.close()
            self._writer = None


async def _close_quietly(conn: Any) -> None:
    with contextlib.suppress(Exception):
        await conn.close()
