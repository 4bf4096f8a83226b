"""Sums per report key, made in the database.

A KPI response is the same numbers for several reports: the total, each network, each topic
of the event's post (a post in two topics counts in both), each group of the event's
advocate, and each week of the range; shares, clicks and conversions are also summed per
post, for ``top_posts``. :func:`per_key` sums an event source once per kind of
report and returns one row per (kind, key) and the caller's extra columns, so that a report
reads a few hundred rows whatever the number of events or advocates behind them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    SQLColumnExpression,
    String,
    case,
    cast,
    literal,
    literal_column,
    null,
    select,
)

from app.core.db import UTCDateTime
from app.models import PostTopic, user_groups

Key = tuple[str, str]
TOTAL: Key = ("total", "")
KINDS = ("total", "network", "topic", "group", "week")
# What a source summed per post can say: every report but the groups', and each post's own
# sums, for ``top_posts``.
POST_KINDS = ("total", "network", "topic", "week", "post")
# Feedback has no network and no post.
PEOPLE_KINDS = ("total", "group", "week")

Measures = Callable[[str], Sequence[ColumnElement[Any]]]


def week_index(moment: SQLColumnExpression[Any], ends: Sequence[datetime] | Sequence[date]
               ) -> ColumnElement[Any]:
    """The index of the report week ``moment`` falls in, given each week's (exclusive) end;
    NULL past the last, or when there are no weeks. Events are already within the range."""
    if not ends:
        return null()
    return case(*[(moment < end, index) for index, end in enumerate(ends)], else_=null())


def week_end(moment: SQLColumnExpression[Any], ends: Sequence[datetime]) -> ColumnElement[Any]:
    """The (exclusive) end of the report week ``moment`` falls in, as a UTC timestamp."""
    if not ends:
        return cast(null(), UTCDateTime())
    return case(*[(moment < end, literal(end, UTCDateTime())) for end in ends],
                else_=null())


def _part(source: CTE, kind: str, columns: Sequence[ColumnElement[Any]]
          ) -> tuple[Select[Any], SQLColumnExpression[Any] | None]:
    """``source`` as rows of one kind of report: (kind, key, *columns), and the key to
    group on (None for the total)."""
    label = literal_column(f"'{kind}'", String).label("kind")
    if kind == "total":
        key: SQLColumnExpression[Any] = literal_column("''", String)
        return select(label, key.label("key"), *columns).select_from(source), None
    if kind == "network":
        key = source.c.network
        return select(label, key.label("key"), *columns).select_from(source), key
    if kind == "topic":
        key = PostTopic.topic_id
        return (select(label, key.label("key"), *columns).select_from(source)
                .join(PostTopic, PostTopic.post_id == source.c.post_id)), key
    if kind == "group":
        key = user_groups.c.group_id
        return (select(label, key.label("key"), *columns).select_from(source)
                .join(user_groups, user_groups.c.user_id == source.c.user_id)), key
    if kind == "post":
        key = source.c.post_id
        return select(label, key.label("key"), *columns).select_from(source), key
    if kind == "week":
        key = source.c.week
        return (select(label, cast(key, String).label("key"), *columns).select_from(source)
                .where(key.is_not(None))), key
    raise ValueError(f"unknown report kind {kind!r}")


def per_key(source: CTE, measures: Measures, *, by: Sequence[str] = (),
            kinds: Sequence[str] = KINDS) -> list[Select[Any]]:
    """``measures(kind)`` summed per (kind, key, *by) over ``source``, whose columns name
    the event's ``user_id`` and, by kind, its ``network``, ``post_id`` and ``week`` (the
    week's index, NULL outside the weeks): one SELECT per kind, to be joined with UNION ALL
    (SQLite cannot nest one). Rows: kind, key, *by, *measures."""
    extra = [source.c[name] for name in by]
    parts = []
    for kind in kinds:
        part, key = _part(source, kind, [*extra, *measures(kind)])
        grouping = extra if key is None else [key, *extra]
        parts.append(part.group_by(*grouping) if grouping else part)
    return parts

