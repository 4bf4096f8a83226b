"""Async engine, sessions and the column types every table shares."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, String, Table, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

ID_LENGTH = 32


def new_id() -> str:
    """An opaque, random id: clients must not read anything into it."""
    return uuid.uuid4().hex


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
    return create_async_engine(url, **kwargs)


class Database:
    """One engine and its session factory; owned by the app, a worker or a CLI command."""

    def __init__(self, url: str, *, tz: ZoneInfo | None = None, **engine_kwargs: Any) -> None:
        self.url = url
        self.tz = tz or ZoneInfo("UTC")
        self.engine = create_engine(url, **engine_kwargs)
        # Every session knows the organisation's time zone (weeks, months, daily caps).
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False,
                                               info={"tz": self.tz})

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back on error."""
        async with self.sessionmaker() as session:
            yield session
            await session.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()


def dialect_insert(session: AsyncSession) -> Any:
    """The backend's INSERT construct, which knows ``on_conflict_do_nothing``/``do_update``."""
    from sqlalchemy.dialects.postgresql import insert as pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def table(model: type[Base]) -> Table:
    """A mapped class's Core table. Batch writes on hot paths use it with a list of
    parameters: one cached statement run as executemany, no ORM bookkeeping, no statement
    compiled anew for each batch size."""
    return cast(Table, model.__table__)


def org_tz(session: AsyncSession) -> ZoneInfo:
    """The organisation's time zone (``CHORUS_TIMEZONE``) for this session's work."""
    tz = session.info.get("tz")
    return tz if isinstance(tz, ZoneInfo) else ZoneInfo("UTC")
