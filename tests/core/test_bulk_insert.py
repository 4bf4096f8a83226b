"""``app.core.bulk_insert``: the projector's inserts store what a Core insert would."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar

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
from sqlalchemy.orm import Session

from app.core.bulk_insert import insert_new_rows, insert_rows
from app.core.db import Database, UTCDateTime, new_id
from tests.databases import backend_url

T = TypeVar("T")

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
    # Another offset on a whole second: still stored with its six zero microseconds.
    {"at": datetime(2026, 7, 1, 9, 0, tzinfo=timezone(timedelta(hours=2))),
     "naive": datetime(2026, 7, 1, 9, 0), "day": date(2026, 7, 1), "flag": True, "count": 3,
     "note": "whole second"},
]


def _rows(prefix: str) -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{n}", **values} for n, values in enumerate(_VALUES)]


async def _with_table(db_url: str, probe: Table, work: Callable[[Connection], T]) -> T:
    """``work`` in one transaction on ``db_url``, with ``probe`` made for it and dropped
    after."""
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            def run(sync: Session) -> T:
                conn = sync.connection()
                probe.create(conn)
                try:
                    return work(conn)
                finally:
                    probe.drop(conn)

            return await session.run_sync(run)
    finally:
        await db.dispose()


def _insert_both(conn: Connection) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]],
                                             list[dict[str, Any]]]:
    """What a Core insert and ``insert_rows`` stored, as the database holds it, and the
    latter's rows read back through SQLAlchemy."""
    conn.execute(insert(PROBE), _rows("core"))
    insert_rows(conn, PROBE, _rows("bulk"))
    columns = ", ".join(c.name for c in PROBE.columns if c.name != "id")

    def stored(prefix: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in conn.exec_driver_sql(
            f"SELECT {columns} FROM bulk_insert_probe WHERE id LIKE '{prefix}%' ORDER BY id")]

    read = conn.execute(select(PROBE).where(PROBE.c.id.like("bulk%")).order_by(PROBE.c.id))
    return stored("core"), stored("bulk"), [dict(row._mapping) for row in read]


async def test_rows_are_stored_as_a_core_insert_stores_them(db_url: str) -> None:
    core, bulk, read = await _with_table(db_url, PROBE, _insert_both)
    assert bulk == core
    assert read == [{**row, "at": row["at"].astimezone(UTC)} for row in _rows("bulk")]


async def test_refuses_rows_that_would_skip_a_python_default(db_url: str) -> None:
    def attempt(conn: Connection) -> None:
        insert_rows(conn, WITH_DEFAULT, [{"note": "no id"}])

    if backend_url() is None:
        with pytest.raises(ValueError, match="Python defaults: id"):
            await _with_table(db_url, WITH_DEFAULT, attempt)
    else:  # the Core insert, which applies the default itself
        await _with_table(db_url, WITH_DEFAULT, attempt)


async def test_a_naive_datetime_for_a_utc_column_is_refused(db_url: str) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        await _with_table(db_url, PROBE, lambda conn: insert_rows(
            conn, PROBE, [{"id": "x", "at": datetime(2026, 1, 1)}]))


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
        insert_rows(conn, aware, [{"id": "x", "at": at}])
        return list(conn.execute(select(aware.c.at)).scalars())

    if backend_url() is None:  # SQLite would drop the offset: only UTCDateTime may go there
        with pytest.raises(TypeError, match="without UTCDateTime"):
            await _with_table(db_url, aware, attempt)
    else:  # the Core insert: PostgreSQL keeps the instant itself
        assert await _with_table(db_url, aware, attempt) == [at]


KEYED = Table(
    "bulk_insert_keyed", MetaData(),
    Column("id", String(8), primary_key=True),
    Column("key", String(20), unique=True),
    Column("note", String(20)),
)


async def test_only_rows_with_new_keys_are_inserted(db_url: str) -> None:
    """``insert_new_rows`` (the ledger's insert): keys already stored are skipped, a key
    twice in one batch is stored once (its first row), and the keys stored are returned;
    also past one lookup's worth of keys."""
    many = [{"id": f"m{n}", "key": f"many-{n}", "note": "bulk"} for n in range(1234)]

    def work(conn: Connection) -> tuple[set[Any], set[Any], set[Any], list[tuple[Any, ...]]]:
        first = insert_new_rows(conn, KEYED, [
            {"id": "a1", "key": "a", "note": "first"},
            {"id": "b1", "key": "b", "note": "first"}], key="key")
        second = insert_new_rows(conn, KEYED, [
            {"id": "a2", "key": "a", "note": "again"},
            {"id": "c1", "key": "c", "note": "new"},
            *many[:700], *many], key="key")
        # Every key stored already, the last ones far past the first lookup.
        third = insert_new_rows(conn, KEYED, [{**row, "id": f"x{n}", "note": "late"}
                                              for n, row in enumerate(many)], key="key")
        rows = [tuple(row) for row in conn.execute(
            select(KEYED.c.id, KEYED.c.key, KEYED.c.note).order_by(KEYED.c.key))]
        return first, second, third, rows

    first, second, third, rows = await _with_table(db_url, KEYED, work)
    assert third == set()
    assert first == {"a", "b"}
    assert second == {"c"} | {row["key"] for row in many}
    assert rows[:3] == [("a1", "a", "first"), ("b1", "b", "first"), ("c1", "c", "new")]
    assert len(rows) == 3 + len(many) and all(row[2] == "bulk" for row in rows[3:])


def test_no_rows_no_statement() -> None:
    class Refusing:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"the connection was used ({name})")

    assert insert_new_rows(Refusing(), KEYED, [], key="key") == set()  # type: ignore[arg-type]
