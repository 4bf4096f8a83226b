"""The ``/queue`` page: the publisher's view, paged and filtered by topic."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.content import publisher
from app.content import service as content_service
from app.content.schemas import QueueItem, QueuePage
from app.core.errors import Invalid
from app.core.pagination import decode_cursor, encode_cursor


async def queue_page(session: AsyncSession, *, topic_id: str | None, limit: int,
                     cursor: str | None) -> QueuePage:
    view = await publisher.queue_view(session)
    entries = view.entries
    if topic_id is not None:
        topics = await content_service.topic_ids_of(session, [e.post.id for e in entries])
        entries = [e for e in entries if topic_id in topics[e.post.id]]
    # The order is computed, not stored: the cursor is a position in it.
    start = 0
    if cursor:
        (start,) = decode_cursor(cursor, 1)
        if not isinstance(start, int) or start < 0:
            raise Invalid("The cursor is not one this server gave out.", loc=["query", "cursor"])
    window = entries[start:start + limit]
    posts = await content_service.to_read(session, [e.post for e in window])
    items = [
        QueueItem(post=post, position=start + i + 1, eligible_at=entry.eligible_at,
                  blocked_by=entry.blocked_by, held_by=entry.held_by)
        for i, (entry, post) in enumerate(zip(window, posts, strict=True))
    ]
    next_cursor = encode_cursor([start + limit]) if start + limit < len(entries) else None
    return QueuePage(items=items, next_cursor=next_cursor,
                     mix=await publisher.mix_view(session, topic_id=topic_id, view=view))
