"""Async engine, sessions and the column types every table shares."""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, DateTime, Engine, String, Table, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import URL, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from app.jobs.spec import Enqueuer

log = logging.getLogger("chorus.db")

ID_LENGTH = 32


def new_id() -> str:
    """An opaque, random id: clients must not read anything into it."""
    return uuid.uuid4().hex


def time_ordered_id() -> str:
    """An id like :func:`new_id` (32 hex digits, 80 of its bits random) that sorts by
    creation time to the millisecond: rows written in bulk, such as clicks, land at the end
    of their primary-key index instead of on a random page each."""
    return time_ordered_ids(1)[0]


def time_ordered_ids(count: int) -> list[str]:
    """``count`` ids as :func:`time_ordered_id` makes them, from one read of the system's
    random source (a batch of clicks needs one per row)."""
    prefix = f"{time.time_ns() // 1_000_000:012x}"
    random = secrets.token_hex(10 * count)
    return [prefix + random[i:i + 20] for i in range(0, 20 * count, 20)]


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True, default=new_id)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # FULL: a commit that returned is on disk; group commits keep the fsync count low.
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


CLICK_LOG_SCHEMA = "clicklog"


def click_log_path(url: str) -> Path | None:
    """On an SQLite file, where the click log lives: a file of its own beside the database
    (``chorus.db`` → ``chorus.clicks.db``), so the redirect's one write never waits for the
    app's transactions. None elsewhere (PostgreSQL keeps it in the database)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return path.with_name(f"{path.stem}.clicks{path.suffix or '.db'}")


def attach_click_log(path: Path) -> Callable[[Any, Any], None]:
    """A connect hook that attaches the click log file as schema ``clicklog`` (migrations)."""

    def attach(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"ATTACH DATABASE ? AS {CLICK_LOG_SCHEMA}", (str(path),))
        cursor.execute(f"PRAGMA {CLICK_LOG_SCHEMA}.journal_mode=WAL")
        cursor.close()

    return attach


def _writer_connection(dbapi_connection: Any, _record: Any) -> None:
    # SQLAlchemy emits BEGIN itself (see _begin_immediate), not the sqlite3 module.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # The click writer touches index pages all over the clicks and ledger tables: keep them
    # in memory (64 MiB), and copy the WAL back into the database less often, so that a
    # page written by many batches is checkpointed once (every ~32 MiB instead of ~4 MiB).
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA wal_autocheckpoint=8192")
    cursor.close()


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        if make_url(url).database not in (None, "", ":memory:"):
            # A steady pool: connections opened and closed under bursts cost more than queries.
            kwargs.setdefault("pool_size", 20)
            kwargs.setdefault("max_overflow", 10)
        engine = create_async_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("pool_pre_ping", True)
    # No JIT: reports past its cost threshold spent more compiling (tens of ms) than running.
    kwargs.setdefault("connect_args", {"server_settings": {"jit": "off"}})
    return create_async_engine(url, **kwargs)


AfterCommit = Callable[[], Awaitable[None]]


class Projector(Protocol):
    """What the rest of the app asks of the click projector (``app.tracking.projector``)."""

    async def catch_up(self) -> int:
        """Project every click logged so far; how many this call projected."""

    async def settle(self, click_id: str) -> bool:
        """Project the log if ``click_id`` is waiting in it; whether it was."""


def after_commit(session: AsyncSession, work: AfterCommit) -> None:
    """Run ``work`` once the current unit of work has committed; dropped on rollback."""
    session.info.setdefault("after_commit", []).append(work)


async def run_after_commit(session: AsyncSession) -> None:
    await run_works(session.info.pop("after_commit", []))


async def run_works(works: list[AfterCommit]) -> None:
    for work in works:
        try:
            await work()
        except Exception:
            log.exception("after-commit work failed")


class Database:
    """One engine and its session factory; owned by the app, a worker or a CLI command.

    ``jobs`` is where work enqueued by a unit of work goes once it commits
    (``app.jobs.queue.enqueue_after_commit``): arq, the in-process runner, or, for a CLI
    command or a test that runs no jobs, nowhere (the jobs' own sweeps find the work later).
    """

    def __init__(self, url: str, *, tz: ZoneInfo | None = None, **engine_kwargs: Any) -> None:
        from app.jobs.queue import NoJobs

        self.url = url
        self.tz = tz or ZoneInfo("UTC")
        self.engine = create_engine(url, **engine_kwargs)
        self.jobs: Enqueuer = NoJobs()
        # The process's click projector (None where nothing projects: a CLI command, a
        # test without an app), for work that must see every click logged so far.
        self.projector: Projector | None = None
        # Every session knows the organisation's time zone (weeks, months, daily caps) and
        # its database (for the jobs its work enqueues).
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False,
                                               info={"tz": self.tz, "database": self})

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def sync_engine_url(self) -> URL | None:
        """For an SQLite file, the same database through the synchronous driver (what the
        click writer's thread uses); None for other backends."""
        url = make_url(self.url)
        if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
            return None
        return url.set(drivername="sqlite+pysqlite")

    def sync_engine(self, *, write: bool = True) -> Engine:
        """A synchronous engine on the SQLite file, for one thread's own use. A writer's
        transactions begin IMMEDIATE: it takes the lock before it reads, so it never has to
        upgrade a read snapshot another writer has moved past. A reader's begin a plain
        BEGIN: one snapshot of the database (WAL) until it ends."""
        url = self.sync_engine_url()
        if url is None:
            raise RuntimeError("a synchronous engine is only made for an SQLite file")
        engine = sa_create_engine(url, connect_args={"timeout": 30}, pool_size=1,
                                  max_overflow=0)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "connect", _writer_connection)
        event.listen(engine, "begin", _begin_immediate if write else _begin)
        return engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on error."""
        async with self.sessionmaker() as session:
            yield session
            await session.commit()
            await run_after_commit(session)

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(session: AsyncSession) -> Any:
    """The backend's INSERT construct, which knows ``on_conflict_do_nothing``/``do_update``."""
    return insert_for(session.get_bind().dialect.name)


def insert_for(dialect_name: str) -> Any:
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert if dialect_name == "sqlite" else pg_insert


def table(model: type[Base]) -> Table:
    """A mapped class's Core table. Batch writes on hot paths use it with a list of
    parameters: one cached statement run as executemany, no ORM bookkeeping, no statement
    compiled anew for each batch size."""
    return cast(Table, model.__table__)


def org_tz(session: AsyncSession | Session) -> ZoneInfo:
    """The organisation's time zone (``CHORUS_TIMEZONE``) for this session's work."""
    tz = session.info.get("tz")
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC")
