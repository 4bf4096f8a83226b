"""Many rows into one table, for the click projector's batches.

A Core ``insert`` run with a list of rows spends most of its time in SQLAlchemy, not in the
database: it builds a parameter dictionary per row and runs each value through its type's
bind processor (for SQLite a datetime becomes text in Python code). On SQLite this module
hands the driver plain tuples, the values already in the form the column types would give
them, and runs the prepared insert once per row in C. Elsewhere it is the Core insert.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Date, DateTime, Table, bindparam, insert, select

from app.core.db import UTCDateTime, insert_for

Convert = Callable[[Any], Any]


def _utc_text(value: datetime | None) -> str | None:
    """As ``UTCDateTime`` then SQLite's ``DATETIME`` store it: naive UTC text, always with
    microseconds."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # the usual case: drop the "+00:00" rather than convert
        return value.isoformat(" ", "microseconds")[:-6]
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTC column")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _naive_text(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(" ", "microseconds")


def _date_text(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)


def _same(value: Any) -> Any:
    return value


def _converter(column_type: Any) -> Convert:
    if isinstance(column_type, UTCDateTime):
        return _utc_text
    if isinstance(column_type, DateTime):
        if column_type.timezone:
            raise TypeError("a timezone-aware DateTime without UTCDateTime")
        return _naive_text
    if isinstance(column_type, Date):
        return _date_text
    if isinstance(column_type, Boolean):
        return _flag
    return _same


@lru_cache(maxsize=64)
def _sqlite_statement(target: Table, names: tuple[str, ...]) -> tuple[str, tuple[Convert, ...]]:
    columns = [target.c[name] for name in names]
    skipped = [c.name for c in target.columns
               if c.name not in names and (c.default is not None or c.onupdate is not None)]
    if skipped:
        raise ValueError(f"rows for {target.name} leave out columns with Python defaults: "
                         f"{', '.join(skipped)}")
    quoted = ", ".join(f'"{c.name}"' for c in columns)
    sql = (f'INSERT INTO "{target.name}" ({quoted}) '
           f"VALUES ({', '.join('?' * len(columns))})")
    return sql, tuple(_converter(c.type) for c in columns)


def insert_rows(conn: Connection, target: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each naming the same columns) into ``target``."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(insert(target), list(rows))
        return
    names = tuple(rows[0])
    sql, converters = _sqlite_statement(target, names)
    # Column by column: the per-value work is C's (map, itemgetter), bar the conversions.
    columns = [list(map(itemgetter(name), rows)) if convert is _same
               else list(map(convert, map(itemgetter(name), rows)))
               for name, convert in zip(names, converters, strict=True)]
    conn.exec_driver_sql(sql, list(zip(*columns, strict=True)))


# Keys looked up per statement (SQLite binds at most 32,766 parameters).
_KEYS_PER_LOOKUP = 500


@lru_cache(maxsize=64)
def _existing(target: Table, key: str) -> Any:
    column = target.c[key]
    return select(column).where(column.in_(bindparam("keys", expanding=True)))


@lru_cache(maxsize=64)
def _insert_returning(dialect: str, target: Table, key: str) -> Any:
    return (insert_for(dialect)(target).on_conflict_do_nothing(index_elements=[key])
            .returning(target.c[key]))


def insert_new_rows(conn: Connection, target: Table, rows: Sequence[Mapping[str, Any]], *,
                    key: str) -> set[Any]:
    """Insert the ``rows`` whose unique ``key`` is not in ``target`` yet; the keys inserted.
    On SQLite, whose one writer holds the database until it commits, the keys already there
    are looked up and the others inserted as :func:`insert_rows` does (a key written
    meanwhile by a transaction that began first makes this one fail, never count twice).
    Elsewhere it is an ``INSERT … ON CONFLICT DO NOTHING RETURNING``."""
    if not rows:
        return set()
    if conn.dialect.name != "sqlite":
        return set(conn.scalars(_insert_returning(conn.dialect.name, target, key), list(rows)))
    keys = [row[key] for row in rows]
    there: set[Any] = set()
    for start in range(0, len(keys), _KEYS_PER_LOOKUP):
        there.update(conn.scalars(_existing(target, key),
                                  {"keys": keys[start:start + _KEYS_PER_LOOKUP]}))
    fresh: dict[Any, Mapping[str, Any]] = {}
    for row in rows:
        if row[key] not in there:
            fresh.setdefault(row[key], row)  # the first of the batch's rows with a key
    insert_rows(conn, target, list(fresh.values()))
    return set(fresh)
