"""The click log: the one row a redirect writes before its 302 (CONTRACT §4 durability).

On an SQLite file the log is a file of its own beside the database (``click_log_path``),
written through the ``sqlite3`` module directly: a batch is one insert statement, its own
transaction, and no transaction of the app's ever holds the file's lock. Its
``seq`` is SQLite's autoincrement rowid: writers are serialised, so ``seq`` is the order
clicks were committed in, and the projector's cursor is a position in it.

On PostgreSQL the log is a table of the database, appended to with ``COPY``
(``copy_records_to_table``); the projector takes entries out of it (``DELETE …
RETURNING``) in the transaction that projects them, so a click committed after one with a
later ``seq`` is still taken, once.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import text
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateTable

from app.core.db import click_log_path
from app.models import ClickLogEntry
from app.tracking.log_writer import COLUMNS, LogRow
from app.tracking.log_writer import append as append_rows
from app.tracking.log_writer import connect as connect_log
from app.tracking.projection import ClickDraft

log = logging.getLogger("chorus.tracking")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Entry = tuple[int, ClickDraft]  # (seq, what the request told)


def log_row(*, click_id: str, share_id: str, advocate_id: str, network: str, post_id: str,
            occurred_at: datetime, visitor_hash: str, address_hash: str | None, device: str,
            referrer_host: str | None, bot: bool, token_hash: str | None) -> LogRow:
    """A click as the log keeps it (``COLUMNS``' order). Plain values only (an enum's value,
    not the enum): the SQLite writer process is sent them with ``marshal``, which knows only
    the built-in types."""
    delta = occurred_at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return (str(click_id), str(share_id), str(advocate_id), str(network), str(post_id),
            micros, str(visitor_hash), _text(address_hash), str(device), _text(referrer_host),
            bool(bot), _text(token_hash))


def to_row(draft: ClickDraft) -> LogRow:
    return log_row(
        click_id=draft.click_id, share_id=draft.share_id, advocate_id=draft.advocate_id,
        network=draft.network, post_id=draft.post_id, occurred_at=draft.occurred_at,
        visitor_hash=draft.visitor_hash, address_hash=draft.address_hash,
        device=draft.device, referrer_host=draft.referrer_host, bot=draft.bot,
        token_hash=draft.session_token_hash)


def _text(value: str | None) -> str | None:
    return None if value is None else str(value)


def from_row(row: Sequence[Any]) -> Entry:
    (seq, click_id, share_id, advocate_id, network, post_id, micros, visitor_hash,
     address_hash, device, referrer_host, bot, token_hash) = row
    at = _EPOCH + timedelta(microseconds=micros)
    return int(seq), ClickDraft(
        share_id=share_id, advocate_id=advocate_id, network=network, post_id=post_id,
        click_id=click_id, occurred_at=at, day=at.date(), visitor_hash=visitor_hash,
        device=device, referrer_host=referrer_host, bot=bool(bot),
        session_token_hash=token_hash, address_hash=address_hash)


_SELECTED = ", ".join(("seq", *COLUMNS))
_CREATE = str(CreateTable(ClickLogEntry.__table__, if_not_exists=True).compile(  # type: ignore[arg-type]
    dialect=sqlite_dialect.dialect()))


class SqliteClickLog:
    """The log in its own SQLite file; each method takes a connection from :meth:`connect`
    (one per thread)."""

    def __init__(self, path: Path, database: Path | None = None) -> None:
        self.path = path
        self._database = database  # the main database file, whose cursor counts in seq

    @classmethod
    def of(cls, url: str) -> SqliteClickLog | None:
        """The log beside the SQLite file ``url`` names; None for other databases."""
        path = click_log_path(url)
        database = make_url(url).database
        return cls(path, Path(database)) if path is not None and database else None

    def connect(self, *, durable: bool = True) -> sqlite3.Connection:
        """A connection to the log's file. Durable (the writer's): a commit that returned is
        on disk before the 302 leaves. Not durable (the projector's, which only reads and
        trims): its deletes are not flushed, so they neither wait for the disk nor hold the
        writer waiting; a trim lost in a crash is made again, as the cursor says what is
        projected (and WAL keeps the file sound either way)."""
        conn = connect_log(str(self.path), durable=durable)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'click_log'").fetchone() is None:
            # The migrations made it beside the database; a database restored or copied
            # without it gets an empty log rather than a redirect that fails every time.
            log.warning("the click log %s had no table; created it empty", self.path)
            conn.execute(_CREATE)
            # Its seq goes on from the projector's cursor, which would skip lower ones.
            conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('click_log', ?)",
                         (self._cursor(),))
        return conn

    def _cursor(self) -> int:
        if self._database is None or not self._database.exists():
            return 0
        with contextlib.closing(sqlite3.connect(self._database, timeout=30)) as main:
            row = main.execute("SELECT max(log_position) FROM click_projection").fetchone()
        return int(row[0] or 0) if row else 0

    def append(self, conn: sqlite3.Connection, rows: Sequence[LogRow]) -> None:
        """``rows``, in their order, in one transaction (the connection is in autocommit)."""
        append_rows(conn, rows)

    def after(self, conn: sqlite3.Connection, position: int, limit: int) -> list[Entry]:
        rows = conn.execute(f"SELECT {_SELECTED} FROM click_log WHERE seq > ? ORDER BY seq "
                            "LIMIT ?", (position, limit)).fetchall()
        return [from_row(row) for row in rows]

    def trim(self, conn: sqlite3.Connection, position: int) -> None:
        """Forget entries up to ``position`` (projected: the cursor has moved past them)."""
        conn.execute("DELETE FROM click_log WHERE seq <= ?", (position,))

    def holds(self, conn: sqlite3.Connection, position: int, click_id: str) -> bool:
        """Whether the click is logged past ``position`` (waiting to be projected)."""
        return conn.execute("SELECT 1 FROM click_log WHERE seq > ? AND click_id = ?",
                            (position, click_id)).fetchone() is not None

    def count_after(self, conn: sqlite3.Connection, position: int) -> int:
        return int(conn.execute("SELECT count(*) FROM click_log WHERE seq > ?",
                                (position,)).fetchone()[0])


class PgClickLog:
    """The log as a table of the PostgreSQL database."""

    _TAKE = text(f"DELETE FROM click_log WHERE seq IN (SELECT seq FROM click_log ORDER BY seq "
                 f"LIMIT :limit FOR UPDATE) RETURNING {_SELECTED}")

    def __init__(self, url: str) -> None:
        self._dsn = make_url(url).set(drivername="postgresql").render_as_string(
            hide_password=False)

    async def connect(self) -> asyncpg.Connection:
        return await asyncpg.connect(self._dsn)

    async def append(self, conn: asyncpg.Connection, rows: Sequence[LogRow]) -> None:
        await conn.copy_records_to_table("click_log", records=rows, columns=COLUMNS)

    def take(self, session: Session, limit: int) -> list[Entry]:
        """Entries out of the log, oldest first, in the session's transaction: they are gone
        once it commits, and back if it rolls back."""
        rows = session.execute(self._TAKE, {"limit": limit}).all()
        return sorted((from_row(row) for row in rows), key=lambda entry: entry[0])

    def holds(self, session: Session, click_id: str) -> bool:
        return session.execute(text("SELECT 1 FROM click_log WHERE click_id = :id"),
                               {"id": click_id}).first() is not None

    def count(self, session: Session) -> int:
        return int(session.execute(text("SELECT count(*) FROM click_log")).scalar_one())

