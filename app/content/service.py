"""Posts: the queue's content, suggestions and their review, and the advocates' feed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, exists, insert, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import preview
from app.content.schemas import CaptionsRead, FeedItem, PostCreate, PostRead
from app.core.clock import utcnow
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.core.references import known_ids, linked_ids
from app.gamification import service as gamification_service
from app.models import Post, PostTopic, Share, Topic, User, user_topics
from app.models.enums import Category, PostStatus, Role
from app.webhooks import events as webhook_events

NEWEST_FIRST = (SortKey(Post.created_at, descending=True, is_datetime=True),
                SortKey(Post.id, descending=True))
PUBLICATION_ORDER = (SortKey(Post.published_at, is_datetime=True), SortKey(Post.id))
FEED_ORDER = (SortKey(Post.published_at, descending=True, is_datetime=True),
              SortKey(Post.id, descending=True))
# Once published, a post's place in the 6-3-1 sequences is history: these cannot change.
_FROZEN_WHEN_PUBLISHED = {"category", "topic_ids", "publish_at"}
_EDITABLE_STATUSES = {PostStatus.suggested, PostStatus.queued, PostStatus.published}


async def get_or_raise(session: AsyncSession, post_id: str) -> Post:
    post = await session.get(Post, post_id)
    if post is None:
        raise NotFound("No such post.")
    return post


async def followed_topic_ids(session: AsyncSession, user_id: str) -> list[str]:
    return list(await session.scalars(
        select(user_topics.c.topic_id).where(user_topics.c.user_id == user_id)
    ))


def visible_to(followed: Sequence[str]) -> ColumnElement[bool] | None:
    """§3: a post is visible to an advocate who follows one of its topics, or follows none."""
    if not followed:
        return None
    return exists().where(PostTopic.post_id == Post.id, PostTopic.topic_id.in_(followed))


async def get_for_user(session: AsyncSession, post_id: str, user: User) -> Post:
    """Marketers see every post; others see published posts visible to them and their own
    suggestions. Anything else is 404, so ids reveal nothing."""
    post = await get_or_raise(session, post_id)
    if user.role in (Role.admin, Role.marketer) or post.suggested_by == user.id:
        return post
    if post.status in (PostStatus.published, PostStatus.archived):
        clause = visible_to(await followed_topic_ids(session, user.id))
        if clause is None or await session.scalar(select(clause.where(Post.id == post.id))):
            return post
    raise NotFound("No such post.")


async def topic_ids_of(session: AsyncSession, post_ids: Sequence[str]) -> dict[str, list[str]]:
    return await linked_ids(session, PostTopic.post_id, PostTopic.topic_id, post_ids)


def _read(post: Post, topic_ids: list[str]) -> dict[str, Any]:
    return {
        "id": post.id, "url": post.url, "title": post.title, "summary": post.summary,
        "image_url": post.image_url, "category": post.category, "topic_ids": topic_ids,
        "captions": CaptionsRead(**(post.captions or {})), "lock_caption": post.lock_caption,
        "campaign": post.campaign,
        "status": post.status, "publish_at": post.publish_at, "published_at": post.published_at,
        "expires_at": post.expires_at, "suggested_by": post.suggested_by,
        "note": post.suggestion_note, "review_note": post.review_note,
        "created_at": post.created_at, "updated_at": post.updated_at,
    }


async def to_read(session: AsyncSession, posts: Sequence[Post]) -> list[PostRead]:
    topics = await topic_ids_of(session, [p.id for p in posts])
    return [PostRead(**_read(p, topics[p.id])) for p in posts]


async def read_one(session: AsyncSession, post: Post) -> PostRead:
    return (await to_read(session, [post]))[0]


async def _set_topics(session: AsyncSession, post: Post, topic_ids: Sequence[str]) -> None:
    wanted = await known_ids(session, Topic, topic_ids, "topic_ids")
    await session.execute(delete(PostTopic).where(PostTopic.post_id == post.id))
    if wanted:
        await session.execute(insert(PostTopic), [
            {"post_id": post.id, "topic_id": t, "published_at": post.published_at,
             "category": post.category} for t in wanted
        ])


async def create(session: AsyncSession, *, data: PostCreate) -> Post:
    post = Post(
        url=data.url, title=data.title, summary=data.summary, image_url=data.image_url,
        category=data.category, captions=data.captions.model_dump(exclude_none=True),
        lock_caption=data.lock_caption, campaign=data.campaign, status=PostStatus.queued,
        publish_at=data.publish_at, expires_at=data.expires_at,
    )
    session.add(post)
    await session.flush()
    await _set_topics(session, post, data.topic_ids)
    preview.request_preview(session, post)
    return post


async def update(session: AsyncSession, post: Post, changes: dict[str, Any]) -> Post:
    """PATCH a post. Published posts keep their category, topics and publish time (the 6-3-1
    history depends on them); rejected and archived posts are closed."""
    if post.status not in _EDITABLE_STATUSES:
        raise Conflict(f"A {post.status} post cannot be edited.")
    if post.status == PostStatus.published:
        frozen = sorted(_FROZEN_WHEN_PUBLISHED & changes.keys())
        if frozen:
            raise Conflict(f"A published post's {', '.join(frozen)} cannot change.")
    if post.status == PostStatus.suggested and changes.get("category") is not None:
        raise Conflict("A suggestion gets its category when it is approved.")
    publish_at = changes.get("publish_at", post.publish_at)
    expires_at = changes.get("expires_at", post.expires_at)
    if publish_at is not None and expires_at is not None and expires_at <= publish_at:
        raise Invalid("expires_at must be after publish_at", loc=["body", "expires_at"])
    if "url" in changes and changes["url"] is None:
        raise Invalid("url cannot be null.", loc=["body", "url"])
    new_url = "url" in changes and changes["url"] != post.url
    emptied = any(name in changes and not changes[name] for name in preview.FIELDS)
    for name in ("url", "title", "summary", "image_url", "campaign", "publish_at",
                 "expires_at"):
        if name in changes:
            setattr(post, name, changes[name])
    explicit = {name for name in preview.FIELDS if changes.get(name)}
    if explicit and post.preview_fields:
        post.preview_fields = [n for n in post.preview_fields if n not in explicit] or None
    if new_url:
        preview.url_changed(post, explicit)
    if new_url or emptied:
        preview.request_preview(session, post)
    if changes.get("category") is not None:
        post.category = changes["category"]
    if changes.get("captions") is not None:
        post.captions = {k: v for k, v in changes["captions"].items() if v is not None}
    if changes.get("lock_caption") is not None:
        post.lock_caption = changes["lock_caption"]
    if changes.get("topic_ids") is not None:
        await _set_topics(session, post, changes["topic_ids"])
    post.updated_at = utcnow()
    await session.flush()
    return post


async def archive(session: AsyncSession, post: Post) -> Post:
    """Published → archived: the post leaves feeds; its links keep redirecting."""
    if post.status == PostStatus.archived:
        return post
    if post.status != PostStatus.published:
        raise Conflict(f"Only published posts can be archived; this one is {post.status}.")
    post.status = PostStatus.archived
    post.updated_at = utcnow()
    await session.flush()
    return post


async def suggest(session: AsyncSession, *, user: User, url: str, note: str | None,
                  topic_ids: Sequence[str]) -> Post:
    post = Post(url=url, status=PostStatus.suggested, suggested_by=user.id,
                suggestion_note=note, captions={})
    session.add(post)
    await session.flush()
    await _set_topics(session, post, topic_ids)
    preview.request_preview(session, post)
    await webhook_events.suggestion_created(session, post, topic_ids)
    return post


def _require_suggested(post: Post) -> None:
    if post.status != PostStatus.suggested:
        raise Conflict(f"This post is {post.status}, not a suggestion awaiting review.")


async def approve(session: AsyncSession, post: Post, *, category: Category,
                  captions: dict[str, str] | None, note: str | None) -> Post:
    _require_suggested(post)
    post.status = PostStatus.queued
    post.category = category
    if captions is not None:
        post.captions = {k: v for k, v in captions.items() if v is not None}
    post.review_note = note
    post.updated_at = utcnow()
    await webhook_events.suggestion_reviewed(session, post)
    await gamification_service.on_suggestion_approved(session, post, at=post.updated_at)
    await session.execute(
        sql_update(PostTopic).where(PostTopic.post_id == post.id).values(category=category)
    )
    await session.flush()
    return post


async def reject(session: AsyncSession, post: Post, *, reason: str) -> Post:
    _require_suggested(post)
    post.status = PostStatus.rejected
    post.review_note = reason
    post.updated_at = utcnow()
    await webhook_events.suggestion_reviewed(session, post)
    await session.flush()
    return post


async def list_posts(session: AsyncSession, *, limit: int, cursor: str | None,
                     status: PostStatus | None, topic_id: str | None,
                     category: Category | None, publication_order: bool
                     ) -> tuple[list[Post], str | None]:
    stmt = select(Post)
    if status is not None:
        stmt = stmt.where(Post.status == status)
    if category is not None:
        stmt = stmt.where(Post.category == category)
    if topic_id is not None:
        stmt = stmt.where(exists().where(PostTopic.post_id == Post.id,
                                         PostTopic.topic_id == topic_id))
    order = NEWEST_FIRST
    if publication_order:
        stmt = stmt.where(Post.published_at.is_not(None))
        order = PUBLICATION_ORDER
    rows = list(await session.scalars(keyset(stmt, order, cursor, limit)))
    return page_of(rows, order, limit)


def live_clause(now: datetime) -> ColumnElement[bool]:
    """Published and not expired: what feeds show."""
    return (Post.status == PostStatus.published) & or_(
        Post.expires_at.is_(None), Post.expires_at > now
    )


async def feed(session: AsyncSession, *, user: User, topic_id: str | None, limit: int,
               cursor: str | None) -> tuple[list[FeedItem], str | None]:
    stmt = select(Post).where(live_clause(utcnow()))
    clause = visible_to(await followed_topic_ids(session, user.id))
    if clause is not None:
        stmt = stmt.where(clause)
    if topic_id is not None:
        stmt = stmt.where(exists().where(PostTopic.post_id == Post.id,
                                         PostTopic.topic_id == topic_id))
    rows = list(await session.scalars(keyset(stmt, FEED_ORDER, cursor, limit)))
    posts, next_cursor = page_of(rows, FEED_ORDER, limit)
    topics = await topic_ids_of(session, [p.id for p in posts])
    shared = await shared_networks(session, user_id=user.id, post_ids=[p.id for p in posts])
    items = [FeedItem(**_read(p, topics[p.id]), shared_on=shared[p.id]) for p in posts]
    return items, next_cursor


async def shared_networks(session: AsyncSession, *, user_id: str, post_ids: Sequence[str]
                          ) -> dict[str, list[str]]:
    """Networks the user already shared each post on."""
    networks: dict[str, list[str]] = defaultdict(list)
    if post_ids:
        for post_id, network in await session.execute(
            select(Share.post_id, Share.network)
            .where(Share.user_id == user_id, Share.post_id.in_(post_ids))
            .order_by(Share.network)
        ):
            networks[post_id].append(str(network))
    return networks
