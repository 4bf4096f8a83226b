"""Raw records as CSV, streamed in constant memory (CONTRACT §3 exports)."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from app.core.db import Database
from app.core.errors import NotFound
from app.models import Click, Conversion, Share

CHUNK_ROWS = 1000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """A CSV cell; text that a spreadsheet would run as a formula is quoted with '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


@dataclass(frozen=True)
class Export:
    header: Sequence[str]
    query: Callable[[datetime | None, datetime | None], Select]


def _range(stmt: Select, column: Any, start: datetime | None,
           end: datetime | None) -> Select:
    if start is not None:
        stmt = stmt.where(column >= start)
    if end is not None:
        stmt = stmt.where(column < end)
    return stmt


def _shares(start: datetime | None, end: datetime | None) -> Select:
    stmt = select(Share.id, Share.created_at, Share.user_id, Share.post_id, Share.network,
                  Share.code, Share.follower_count, Share.external_url)
    return _range(stmt, Share.created_at, start, end).order_by(Share.created_at, Share.id)


def _clicks(start: datetime | None, end: datetime | None) -> Select:
    stmt = (select(Click.id, Click.occurred_at, Click.share_id, Share.post_id, Share.user_id,
                   Share.network, Click.click_id, Click.device, Click.referrer_host, Click.bot,
                   Click.is_self, Click.is_unique)
            .join(Share, Share.id == Click.share_id))
    return _range(stmt, Click.occurred_at, start, end).order_by(Click.occurred_at, Click.id)


def _conversions(start: datetime | None, end: datetime | None) -> Select:
    stmt = select(Conversion.id, Conversion.occurred_at, Conversion.external_id,
                  Conversion.type, Conversion.value, Conversion.currency,
                  Conversion.attributed, Conversion.click_id, Conversion.share_id,
                  Conversion.post_id, Conversion.advocate_id, Conversion.source,
                  Conversion.created_at)
    return _range(stmt, Conversion.occurred_at, start, end).order_by(
        Conversion.occurred_at, Conversion.id)


EXPORTS = {
    "shares": Export(("id", "created_at", "advocate_id", "post_id", "network", "code",
                      "follower_count", "external_url"), _shares),
    "clicks": Export(("id", "occurred_at", "share_id", "post_id", "advocate_id", "network",
                      "click_id", "device", "referrer_host", "bot", "self", "unique"), _clicks),
    "conversions": Export(("id", "occurred_at", "external_id", "type", "value", "currency",
                           "attributed", "click_id", "share_id", "post_id", "advocate_id",
                           "source", "received_at"), _conversions),
}


def export_named(kind: str) -> Export:
    export = EXPORTS.get(kind)
    if export is None:
        raise NotFound("Exports are shares.csv, clicks.csv and conversions.csv.")
    return export


async def stream_csv(db: Database, export: Export, start: datetime | None,
                     end: datetime | None) -> AsyncIterator[bytes]:
    """Rows are fetched in chunks from a server-side cursor and sent as they come. Clicks
    logged before the request are processed first, so no exported flag is undecided."""
    if db.projector is not None:
        await db.projector.catch_up()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(export.header)
    async with db.sessionmaker() as session:
        result = await session.stream(
            export.query(start, end).execution_options(yield_per=CHUNK_ROWS))
        async for partition in result.partitions(CHUNK_ROWS):
            for row in partition:
                writer.writerow([cell(v) for v in row])
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()
