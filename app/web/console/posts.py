"""The console's post list by status, and archiving a published post (with a confirmation
page, so that it works without JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.content import service as content_service
from app.content.schemas import PostRead
from app.core.errors import Conflict
from app.models import Post
from app.models.enums import PostStatus
from app.web.console import lookups
from app.web.console.lookups import TopicRef

PAGE_SIZE = 50
EDITABLE = frozenset({PostStatus.suggested, PostStatus.queued, PostStatus.published})
# The list's tabs, in the order a marketer works through them; None is every post.
TABS: tuple[PostStatus | None, ...] = (None, PostStatus.queued, PostStatus.published,
                                       PostStatus.archived, PostStatus.suggested,
                                       PostStatus.rejected)


@dataclass(frozen=True)
class PostRow:
    post: PostRead
    topics: list[TopicRef]

    @property
    def editable(self) -> bool:
        return self.post.status in EDITABLE

    @property
    def archivable(self) -> bool:
        return self.post.status == PostStatus.published


@dataclass
class PostsScreen:
    rows: list[PostRow]
    status: PostStatus | None
    next_cursor: str | None
    archived: PostRead | None
    pending: int
    tabs: tuple[PostStatus | None, ...] = TABS


async def posts_screen(session: AsyncSession, *, status: PostStatus | None,
                       cursor: str | None, archived_id: str | None = None) -> PostsScreen:
    """Posts newest first, as ``GET /api/v1/posts?status=`` lists them."""
    posts, next_cursor = await content_service.list_posts(
        session, limit=PAGE_SIZE, cursor=cursor, status=status, topic_id=None, category=None,
        publication_order=False)
    topics = await lookups.all_topics(session)
    reads = await content_service.to_read(session, posts)
    archived = None
    if archived_id:
        found = await session.get(Post, archived_id)
        archived = await content_service.read_one(session, found) if found else None
    return PostsScreen(rows=[PostRow(p, lookups.names_of(topics, p.topic_ids)) for p in reads],
                       status=status, next_cursor=next_cursor, archived=archived,
                       pending=await lookups.pending_suggestions(session))


@dataclass
class ArchivePage:
    """The confirmation step before archiving (and its refusal)."""

    post: PostRead
    refused: bool = False

    @property
    def status(self) -> int:
        return 409 if self.refused else 200


@dataclass(frozen=True)
class Archived:
    post_id: str


async def archive_page(session: AsyncSession, post_id: str) -> ArchivePage:
    post = await content_service.get_or_raise(session, post_id)
    return ArchivePage(await content_service.read_one(session, post))


async def archive(session: AsyncSession, post_id: str) -> Archived | ArchivePage:
    """As ``POST /api/v1/posts/{id}/archive``: only a published post can be archived."""
    post = await content_service.get_or_raise(session, post_id)
    try:
        await content_service.archive(session, post)
    except Conflict:
        return ArchivePage(await content_service.read_one(session, post), refused=True)
    return Archived(post.id)
