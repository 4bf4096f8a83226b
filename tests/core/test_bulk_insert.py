"""``app.core.bulk_insert``: the projector's inserts store what a Core insert would."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    select,
)

from app.core.bulk_insert import insert_rows
from app.core.db import Database, UTCDateTime, new_id

PROBE = Table(
    "bulk_insert_probe", MetaData(),
    Column("id", String(8), primary_key=True),
    Column("at", UTCDateTime()),
    Column("naive", DateTime()),
    Column("day", Date),
    Column("flag", Boolean),
    Column("count", Integer),
    Column("note", String(20)),
)
WITH_DEFAULT = Table(
    "bulk_insert_defaulted", MetaData(),
    Column("id", String(32), primary_key=True, default=new_id),
    Column("note", String(20)),
)

_VALUES: list[dict[str, Any]] = [
    {"at": datetime(2026, 3, 29, 1, 30, tzinfo=UTC), "naive": datetime(2026, 3, 29, 1, 30),
     "day": date(2026, 3, 29), "flag": True, "count": 0, "note": "plain"},
    {"at": datetime(2000, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=14))),
     "naive": datetime(2999, 12, 31, 23, 59, 59, 999_999), "day": date(2000, 1, 1),
     "flag": False, "count": -7, "note": "ünïcode \"quoted\""},
    {"at": datetime(2026, 10, 25, 0, 59, 59, 500_000,
                    tzinfo=timezone(-timedelta(hours=9, minutes=30))),
     "naive": None, "day": None, "flag": None, "count": None, "note": None},
]


def _rows(prefix: str) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{n}", **values} for n, values in enumerate(_VALUES)]


def _insert_both(conn: Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    PROBE.create(conn)
    conn.execute(insert(PROBE), _rows("core"))
    insert_rows(conn, PROBE, _rows("bulk"))
    columns = ", ".join(c.name for c in PROBE.columns if c.name != "id")

    def stored(prefix: str) -> list[tuple[Any, ...]]:  # as the database holds them
        return [tuple(row) for row in conn.exec_driver_sql(
            f"SELECT {columns} FROM bulk_insert_probe WHERE id LIKE '{prefix}%' ORDER BY id")]

    return stored("core"), stored("bulk")


async def test_rows_are_stored_as_a_core_insert_stores_them(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            core, bulk = await session.run_sync(lambda s: _insert_both(s.connection()))
            read = (await session.execute(select(PROBE).where(PROBE.c.id.like("bulk%"))
                                          .order_by(PROBE.c.id))).all()
            await session.run_sync(lambda s: PROBE.drop(s.connection()))
    finally:
        await db.dispose()
    assert bulk == core
    assert [dict(row._mapping) for row in read] == [
        {**row, "at": row["at"].astimezone(UTC)} for row in _rows("bulk")]


async def test_refuses_rows_that_would_skip_a_python_default(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            def attempt(conn: Connection) -> None:
                WITH_DEFAULT.create(conn)
                try:
                    insert_rows(conn, WITH_DEFAULT, [{"note": "no id"}])
                finally:
                    WITH_DEFAULT.drop(conn)

            if db.is_sqlite:
                with pytest.raises(ValueError, match="Python defaults: id"):
                    await session.run_sync(lambda s: attempt(s.connection()))
            else:  # the Core insert, which applies the default itself
                await session.run_sync(lambda s: attempt(s.connection()))
    finally:
        await db.dispose()


async def test_a_naive_datetime_for_a_utc_column_is_refused(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            def attempt(conn: Connection) -> None:
                PROBE.create(conn)
                try:
                    insert_rows(conn, PROBE, [{"id": "x", "at": datetime(2026, 1, 1)}])
                finally:
                    PROBE.drop(conn)

            with pytest.raises(Exception, match="naive datetime"):
                await session.run_sync(lambda s: attempt(s.connection()))
    finally:
        await db.dispose()


def test_nothing_to_insert_sends_nothing() -> None:
    class Refusing:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the connection was used ({name})")

    insert_rows(Refusing(), PROBE, [])  # type: ignore[arg-type]


async def test_what_is_stored_does_not_depend_on_the_servers_time_zone(
        db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """UTC text whatever TZ the process runs in (stored as a Core insert stores it)."""
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
    time.tzset()
    try:
        await test_rows_are_stored_as_a_core_insert_stores_them(db_url)
    finally:
        monkeypatch.undo()
        time.tzset()


async def test_a_timezone_aware_column_must_be_utc(db_url: str) -> None:
    aware = Table("bulk_insert_aware", MetaData(), Column("id", String(8), primary_key=True),
                  Column("at", DateTime(timezone=True)))
    at = datetime(2026, 5, 1, 12, tzinfo=UTC)

    def attempt(conn: Connection) -> list[Any]:
        aware.create(conn)
        try:
            insert_rows(conn, aware, [{"id": "x", "at": at}])
            return list(conn.execute(select(aware.c.at)).scalars())
        finally:
            aware.drop(conn)

    db = Database(db_url)
    try:
        async with db.transaction() as session:
            if db.is_sqlite:  # SQLite would drop the offset: only UTCDateTime may go there
                with pytest.raises(TypeError, match="without UTCDateTime"):
                    await session.run_sync(lambda s: attempt(s.connection()))
            else:  # the Core insert: PostgreSQL keeps the instant itself
                assert await session.run_sync(lambda s: attempt(s.connection())) == [at]
    finally:
        await db.dispose()
