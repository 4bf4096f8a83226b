"""``/api/v1/feeds`` (marketer, CONTRACT §3): RSS and Atom feeds whose new entries become
queued posts."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from app.auth.access import MarketerOnly
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.feeds import service as feeds_service
from app.feeds.schemas import FeedCreate, FeedRead

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute, tags=["feeds"])


@router.post("/feeds", response_model=FeedRead, status_code=201)
async def create_feed(body: FeedCreate, _marketer: MarketerOnly, request: Request,
                      session: DbSession) -> FeedRead:
    """Register a feed; it is first read within a minute, then every 30 minutes. Its new
    entries become queued posts, each entry once; the first read queues at most the 20
    newest."""
    feed = await feeds_service.create(
        session, data=body, allow_private=request.app.state.settings.allow_private_webhooks)
    return await feeds_service.read_one(session, feed)


@router.get("/feeds", response_model=Page[FeedRead])
async def list_feeds(_marketer: MarketerOnly, session: DbSession, limit: Limit = 50,
                     cursor: Cursor = None) -> Page[FeedRead]:
    """Registered feeds, newest first, with how their last read went."""
    feeds, next_cursor = await feeds_service.list_feeds(session, limit=limit, cursor=cursor)
    return Page(items=await feeds_service.to_read(session, feeds), next_cursor=next_cursor)


@router.delete("/feeds/{feed_id}", status_code=204, response_class=Response)
async def delete_feed(feed_id: str, _marketer: MarketerOnly, session: DbSession) -> Response:
    """Stop reading a feed; the posts it already gave stay."""
    await feeds_service.delete(session, await feeds_service.get_or_raise(session, feed_id))
    return Response(status_code=204)
