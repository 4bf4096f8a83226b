"""Topics, posts, suggestions and their review, the feed, the queue, the mix, the publisher."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from app.auth.access import CurrentUser, MarketerOnly, SignedIn
from app.content import publisher
from app.content import service as content_service
from app.content import topics as topics_service
from app.content.queue import queue_page
from app.content.schemas import (
    Approval,
    FeedItem,
    MixRead,
    PostCreate,
    PostRead,
    PostUpdate,
    PublishResult,
    QueuePage,
    Rejection,
    SuggestionCreate,
    TopicCreate,
    TopicRead,
    TopicUpdate,
)
from app.core.pagination import Cursor, Limit, Page
from app.core.routing import ChorusRoute, DbSession
from app.models.enums import Category, PostStatus
from app.sharing import feed as sharing_feed

router = APIRouter(prefix="/api/v1", route_class=ChorusRoute)
TopicFilter = Annotated[str | None, Query(max_length=64, description="Only this topic.")]


@router.post("/topics", response_model=TopicRead, status_code=201, tags=["topics"])
async def create_topic(body: TopicCreate, _marketer: MarketerOnly,
                       session: DbSession) -> TopicRead:
    """Create a topic; slugs are unique."""
    topic = await topics_service.create(session, name=body.name, slug=body.slug,
                                        description=body.description)
    return TopicRead.model_validate(topic)


@router.get("/topics", response_model=Page[TopicRead], tags=["topics"])
async def list_topics(_caller: SignedIn, session: DbSession, limit: Limit = 50,
                      cursor: Cursor = None) -> Page[TopicRead]:
    """Topics by name (everyone may read them, to choose what to follow)."""
    topics, next_cursor = await topics_service.list_topics(session, limit=limit, cursor=cursor)
    return Page(items=[TopicRead.model_validate(t) for t in topics], next_cursor=next_cursor)


@router.get("/topics/{topic_id}", response_model=TopicRead, tags=["topics"])
async def read_topic(topic_id: str, _caller: SignedIn, session: DbSession) -> TopicRead:
    """One topic."""
    return TopicRead.model_validate(await topics_service.get_or_raise(session, topic_id))


@router.patch("/topics/{topic_id}", response_model=TopicRead, tags=["topics"])
async def update_topic(topic_id: str, body: TopicUpdate, _marketer: MarketerOnly,
                       session: DbSession) -> TopicRead:
    """Rename a topic or change its slug or description."""
    topic = await topics_service.get_or_raise(session, topic_id)
    await topics_service.update(session, topic, body.model_dump(exclude_unset=True))
    return TopicRead.model_validate(topic)


@router.delete("/topics/{topic_id}", status_code=204, response_class=Response, tags=["topics"])
async def delete_topic(topic_id: str, _marketer: MarketerOnly, session: DbSession) -> Response:
    """Delete a topic; posts and advocates lose it."""
    await topics_service.delete(session, await topics_service.get_or_raise(session, topic_id))
    return Response(status_code=204)


@router.post("/posts", response_model=PostRead, status_code=201, tags=["posts"])
async def create_post(body: PostCreate, _marketer: MarketerOnly, session: DbSession) -> PostRead:
    """Queue a post; the publisher releases it under the 6-3-1 rule once due."""
    post = await content_service.create(session, data=body)
    return await content_service.read_one(session, post)


@router.get("/posts", response_model=Page[PostRead], tags=["posts"])
async def list_posts(
    _marketer: MarketerOnly, session: DbSession, limit: Limit = 50, cursor: Cursor = None,
    status: Annotated[PostStatus | None, Query()] = None, topic_id: TopicFilter = None,
    category: Annotated[Category | None, Query()] = None,
    order: Annotated[Literal["created_at", "published_at"], Query(
        description="`published_at`: published posts in publication order.")] = "created_at",
) -> Page[PostRead]:
    """Posts, newest first, or in publication order."""
    posts, next_cursor = await content_service.list_posts(
        session, limit=limit, cursor=cursor, status=status, topic_id=topic_id,
        category=category, publication_order=order == "published_at",
    )
    return Page(items=await content_service.to_read(session, posts), next_cursor=next_cursor)


@router.get("/posts/{post_id}", response_model=PostRead, tags=["posts"])
async def read_post(post_id: str, caller: SignedIn, session: DbSession) -> PostRead:
    """One post (advocates: published posts they can see, and their own suggestions; a `read`
    API key, like a marketer: any post)."""
    if caller.user is None:
        post = await content_service.get_or_raise(session, post_id)
    else:
        post = await content_service.get_for_user(session, post_id, caller.user)
    return await content_service.read_one(session, post)


@router.patch("/posts/{post_id}", response_model=PostRead, tags=["posts"])
async def update_post(post_id: str, body: PostUpdate, _marketer: MarketerOnly,
                      session: DbSession) -> PostRead:
    """Edit a post; a published post keeps its category, topics and publish time."""
    post = await content_service.get_or_raise(session, post_id)
    await content_service.update(session, post, body.model_dump(exclude_unset=True))
    return await content_service.read_one(session, post)


@router.post("/posts/{post_id}/archive", response_model=PostRead, tags=["posts"])
async def archive_post(post_id: str, _marketer: MarketerOnly, session: DbSession) -> PostRead:
    """Take a published post out of feeds; its tracked links keep working."""
    post = await content_service.archive(
        session, await content_service.get_or_raise(session, post_id)
    )
    return await content_service.read_one(session, post)


@router.post("/suggestions", response_model=PostRead, status_code=201, tags=["suggestions"])
async def suggest(body: SuggestionCreate, user: CurrentUser, session: DbSession) -> PostRead:
    """Suggest a link for marketers to review."""
    post = await content_service.suggest(session, user=user, url=body.url, note=body.note,
                                         topic_ids=body.topic_ids)
    return await content_service.read_one(session, post)


@router.post("/posts/{post_id}/approve", response_model=PostRead, tags=["suggestions"])
async def approve(post_id: str, body: Approval, _marketer: MarketerOnly,
                  session: DbSession) -> PostRead:
    """Approve a suggestion into the queue with its category."""
    post = await content_service.approve(
        session, await content_service.get_or_raise(session, post_id), category=body.category,
        captions=body.captions.model_dump() if body.captions else None, note=body.note,
    )
    return await content_service.read_one(session, post)


@router.post("/posts/{post_id}/reject", response_model=PostRead, tags=["suggestions"])
async def reject(post_id: str, body: Rejection, _marketer: MarketerOnly,
                 session: DbSession) -> PostRead:
    """Reject a suggestion; the reason is kept."""
    post = await content_service.reject(
        session, await content_service.get_or_raise(session, post_id), reason=body.reason
    )
    return await content_service.read_one(session, post)


@router.get("/feed", response_model=Page[FeedItem], tags=["feed"])
async def feed(user: CurrentUser, request: Request, session: DbSession, limit: Limit = 50,
               cursor: Cursor = None, topic_id: TopicFilter = None) -> Page[FeedItem]:
    """Published, unexpired posts you can see, newest first, each with your reserved
    `native_url` and whether a share would be accepted now (`can_share`)."""
    settings = request.app.state.settings
    items, next_cursor = await sharing_feed.feed(
        session, user=user, topic_id=topic_id, limit=limit, cursor=cursor,
        base_url=settings.base_url, tz=settings.tz)
    return Page(items=items, next_cursor=next_cursor)


@router.get("/queue", response_model=QueuePage, tags=["queue"])
async def queue(_marketer: MarketerOnly, session: DbSession, limit: Limit = 50,
                cursor: Cursor = None, topic_id: TopicFilter = None) -> QueuePage:
    """Queued and suggested posts in the order the publisher will use, with what holds each."""
    return await queue_page(session, topic_id=topic_id, limit=limit, cursor=cursor)


@router.get("/mix", response_model=MixRead, tags=["queue"])
async def read_mix(_marketer: MarketerOnly, session: DbSession,
                   topic_id: TopicFilter = None) -> MixRead:
    """The 6-3-1 mix of the last ten published posts, and what would release held posts."""
    return await publisher.mix_view(session, topic_id=topic_id)


@router.post("/publisher/run", response_model=PublishResult, tags=["queue"])
async def run_publisher(_marketer: MarketerOnly, session: DbSession) -> PublishResult:
    """Publish what is due now, as the scheduled job does."""
    return PublishResult(published=[p.id for p in await publisher.run(session)])
