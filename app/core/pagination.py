"""Cursor pagination (CONTRACT §2): ``?limit=1..200&cursor=``, ``{items, next_cursor}``.

A cursor is the sort key of the last item served, base64-encoded: opaque to clients and
stable while rows are added (keyset pagination, not offsets).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field
from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import InstrumentedAttribute

from app.core.errors import Invalid

T = TypeVar("T")

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page (1–200).")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page.")
]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null at the end.")


def encode_cursor(values: Sequence[Any]) -> str:
    plain = [v.isoformat() if isinstance(v, datetime) else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, size: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        values = None
    if not isinstance(values, list) or len(values) != size:
        raise Invalid("The cursor is not one this server gave out.", loc=["query", "cursor"])
    return values


@dataclass(frozen=True)
class SortKey:
    """A column of the keyset and its direction; the last key must be unique (the id)."""

    column: InstrumentedAttribute[Any]
    descending: bool = False
    is_datetime: bool = False


def _parse(key: SortKey, raw: Any) -> Any:
    if key.is_datetime:
        if not isinstance(raw, str):
            raise Invalid("The cursor is not one this server gave out.", loc=["query", "cursor"])
        try:
            return datetime.fromisoformat(raw)
        except ValueError as exc:
            raise Invalid("The cursor is not one this server gave out.",
                          loc=["query", "cursor"]) from exc
    return raw


def keyset(stmt: Select[Any], keys: Sequence[SortKey], cursor: str | None,
           limit: int) -> Select[Any]:
    """Order ``stmt`` by ``keys``, start after ``cursor`` and fetch one extra row."""
    if cursor:
        values = [_parse(k, v) for k, v in zip(keys, decode_cursor(cursor, len(keys)), strict=True)]
        clauses = []
        for i, key in enumerate(keys):
            equal = [keys[j].column == values[j] for j in range(i)]
            beyond = key.column < values[i] if key.descending else key.column > values[i]
            clauses.append(and_(*equal, beyond))
        stmt = stmt.where(or_(*clauses))
    order = [k.column.desc() if k.descending else k.column.asc() for k in keys]
    return stmt.order_by(*order).limit(limit + 1)


def page_of(rows: Sequence[T], keys: Sequence[SortKey], limit: int,
            key_values: Any = None) -> tuple[list[T], str | None]:
    """Split the extra row off ``rows`` and build the next cursor from the last one kept."""
    items = list(rows[:limit])
    if len(rows) <= limit or not items:
        return items, None
    last = items[-1]
    values = key_values(last) if key_values else [getattr(last, k.column.key) for k in keys]
    return items, encode_cursor(values)
