"""The points ledger read back: one user's points history, newest first, each line with the
post and network it came from (read-only; the ledger itself is written by ``service``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.pagination import SortKey, keyset, page_of
from app.models import PointsEntry, Post, Share

HISTORY_ORDER = (SortKey(PointsEntry.occurred_at, descending=True, is_datetime=True),
                 SortKey(PointsEntry.id, descending=True))
_SUGGESTION_PREFIX = "suggestion:"


@dataclass(frozen=True)
class HistoryLine:
    """One award: ``kind`` is share, click, conversion or suggestion."""

    id: str
    kind: str
    points: int
    occurred_at: datetime
    post_id: str | None
    post_title: str | None
    network: str | None


def _post_of_suggestion(entry: PointsEntry) -> str | None:
    # A suggestion's award names the post in its event key (``suggestion:<post id>``): the
    # ledger row has no share to go through.
    if entry.kind == "suggestion" and entry.event_key.startswith(_SUGGESTION_PREFIX):
        return entry.event_key.removeprefix(_SUGGESTION_PREFIX)
    return None


async def points_history(session: AsyncSession, *, user_id: str, limit: int,
                         cursor: str | None) -> tuple[list[HistoryLine], str | None]:
    """``user_id``'s ledger, newest first, ``limit`` lines after ``cursor``."""
    stmt = select(PointsEntry).where(PointsEntry.user_id == user_id)
    rows = list(await session.scalars(keyset(stmt, HISTORY_ORDER, cursor, limit)))
    entries, next_cursor = page_of(rows, HISTORY_ORDER, limit)
    share_ids = {e.share_id for e in entries if e.share_id}
    shares: dict[str, tuple[str, str]] = {
        share_id: (post_id, str(network)) for share_id, post_id, network in (
            await session.execute(select(Share.id, Share.post_id, Share.network)
                                  .where(Share.id.in_(share_ids)))
        )} if share_ids else {}
    post_ids = {shares[e.share_id][0] for e in entries if e.share_id in shares}
    post_ids |= {p for e in entries if (p := _post_of_suggestion(e))}
    titles: dict[str, str | None] = {post_id: title for post_id, title in (
        await session.execute(select(Post.id, Post.title).where(Post.id.in_(post_ids)))
    )} if post_ids else {}
    lines = []
    for entry in entries:
        post_id, network = shares.get(entry.share_id or "", (None, None))
        post_id = post_id or _post_of_suggestion(entry)
        lines.append(HistoryLine(
            id=entry.id, kind=entry.kind, points=entry.points, occurred_at=entry.occurred_at,
            post_id=post_id, post_title=titles.get(post_id) if post_id else None,
            network=network))
    return lines, next_cursor
