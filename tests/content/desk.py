"""A marketer at the public API, and what was published, read back from the models.

The published history is rebuilt from ``Post.published_at`` and each post's own topics (the
post↔topic link rows), never from the copies the publisher keeps on the link rows for itself.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import time_machine
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Post, PostTopic, Topic
from app.models.enums import Category, PostStatus, Role
from tests.builders import Api
from tests.content.oracle import Queued

_n = itertools.count(1)


class Db(Protocol):
    """The app's database as tests hold it (``Api.db``, or one opened on a test's URL)."""

    def transaction(self) -> AbstractAsyncContextManager[AsyncSession]: ...


@contextmanager
def at(when: datetime | None) -> Iterator[None]:
    """Freeze the clock at ``when`` (``None``: leave it running)."""
    if when is None:
        yield
        return
    with time_machine.travel(when, tick=False):
        yield


class Desk:
    """A marketer's calls: topics, posts, publisher runs, the queue and the mix."""

    def __init__(self, api: Api, headers: dict[str, str]) -> None:
        self.api = api
        self.headers = headers
        self._topics: list[str] = []

    @classmethod
    async def open(cls, api: Api) -> Desk:
        return cls(api, await api.headers(Role.marketer))

    async def call(self, method: str, path: str, when: datetime | None = None, *,
                   status: int = 200, **kwargs: Any) -> Any:
        """One API call as the marketer, at ``when``, answered with ``status``."""
        with at(when):
            response = await self.api.client.request(method, f"/api/v1{path}",
                                                     headers=self.headers, **kwargs)
        assert response.status_code == status, response.text
        return response.json()

    async def topic(self) -> str:
        topic = await self.call("POST", "/topics", json={"name": f"Desk {next(_n)}"}, status=201)
        return str(topic["id"])

    async def topics(self, count: int) -> list[str]:
        """``count`` topics, made once per desk (they outlive the posts of a reset)."""
        while len(self._topics) < count:
            self._topics.append(await self.topic())
        return self._topics[:count]

    async def queue(self, category: Category | str, topics: Iterable[str] = (), *,
                    publish_at: datetime | None = None, when: datetime | None = None) -> str:
        n = next(_n)
        body: dict[str, Any] = {
            "url": f"https://example.com/desk/{n}", "category": str(category),
            "topic_ids": list(topics), "captions": {"default": f"Post {n}"},
        }
        if publish_at is not None:
            body["publish_at"] = publish_at.isoformat()
        return str((await self.call("POST", "/posts", when, json=body, status=201))["id"])

    async def run(self, when: datetime | None = None) -> list[str]:
        published = (await self.call("POST", "/publisher/run", when))["published"]
        return [str(i) for i in published]

    async def publish(self, category: Category | str, topics: Iterable[str] = (), *,
                      when: datetime | None = None) -> str:
        """Queue one post and publish it alone: the caller keeps the history compliant."""
        post_id = await self.queue(category, topics, when=when)
        assert await self.run(when) == [post_id]
        return post_id

    async def publish_all(self, posts: Iterable[tuple[Category | str, Iterable[str]]]
                          ) -> list[str]:
        return [await self.publish(category, topics) for category, topics in posts]

    async def queue_rows(self, topic_id: str | None = None, when: datetime | None = None
                         ) -> list[tuple[str, str | None]]:
        params = {"topic_id": topic_id} if topic_id else {}
        page = await self.call("GET", "/queue", when, params=params)
        return [(i["post"]["id"], i["blocked_by"]) for i in page["items"]]

    async def mix(self, topic_id: str | None = None, when: datetime | None = None
                  ) -> dict[str, Any]:
        params = {"topic_id": topic_id} if topic_id else {}
        mix: dict[str, Any] = await self.call("GET", "/mix", when, params=params)
        return mix


@dataclass(frozen=True)
class History:
    """Published posts in publication order, organisation-wide and per topic."""

    ids: list[str]
    org: list[str]
    topics: dict[str, list[str]]
    stamps: list[datetime]
    posts: list[tuple[str, frozenset[str]]]  # (category, topics), for the feeds' oracle


async def history(db: Db) -> History:
    async with db.transaction() as session:
        return await _history(session)


async def _history(session: AsyncSession) -> History:
    posts = list(await session.execute(
        select(Post.id, Post.category, Post.published_at)
        .where(Post.published_at.is_not(None)).order_by(Post.published_at)))
    links = await _links(session)
    topics: dict[str, list[str]] = defaultdict(list)
    for post_id, category, _ in posts:
        for topic_id in links[post_id]:
            topics[topic_id].append(str(category))
    return History(ids=[p for p, _, _ in posts], org=[str(c) for _, c, _ in posts],
                   topics=dict(topics), stamps=[s for _, _, s in posts],
                   posts=[(str(c), frozenset(links[p])) for p, c, _ in posts])


async def before_run(db: Db, now: datetime) -> tuple[History, list[Queued]]:
    """The history, and the queued posts due at ``now`` (§3: ``publish_at`` ≤ now, or none)."""
    async with db.transaction() as session:
        posts = list(await session.execute(
            select(Post.id, Post.category, Post.publish_at, Post.created_at)
            .where(Post.status == PostStatus.queued)))
        links = await _links(session)
        published = await _history(session)
    due = [Queued(i, str(c), frozenset(links[i]), p or k, k) for i, c, p, k in posts]
    return published, [q for q in due if q.due_at <= now]


async def insert_queued(db: Db, posts: Iterable[tuple[str, Iterable[str], datetime | None]],
                        when: datetime) -> None:
    """Queued posts ``(category, topic ids, publish_at)`` created at ``when``, in one unit of
    work: the cheap way to queue many (``Desk.queue`` goes through the API)."""
    async with db.transaction() as session:
        for category, topics, publish_at in posts:
            post = Post(url=f"https://example.com/queued/{next(_n)}", category=category,
                        captions={"default": "Queued"}, status=PostStatus.queued,
                        publish_at=publish_at, created_at=when, updated_at=when)
            session.add(post)
            await session.flush()
            session.add_all(PostTopic(post_id=post.id, topic_id=t) for t in topics)


async def _links(session: AsyncSession) -> defaultdict[str, set[str]]:
    links: defaultdict[str, set[str]] = defaultdict(set)
    for post_id, topic_id in await session.execute(select(PostTopic.post_id, PostTopic.topic_id)):
        links[post_id].add(topic_id)
    return links


async def insert_topic(api: Api, topic_id: str) -> str:
    """A topic with a chosen id, so that a test can fix the order of a post's topics."""
    async with api.db.transaction() as session:
        session.add(Topic(id=topic_id, name=f"Topic {topic_id}", slug=f"topic-{topic_id}"))
    return topic_id


async def insert_published(api: Api, history: Iterable[tuple[str, Iterable[str], datetime]]
                           ) -> list[str]:
    """Published posts written straight to the tables, as an import of an older history would
    (with the copies on the link rows that the app reads): the only way to a history the
    publisher itself would never produce."""
    ids = []
    async with api.db.transaction() as session:
        for category, topics, stamp in history:
            post = Post(url=f"https://example.com/old/{next(_n)}", category=category,
                        captions={"default": "Old"}, status=PostStatus.published,
                        published_at=stamp, created_at=stamp, updated_at=stamp)
            session.add(post)
            await session.flush()
            for topic_id in topics:
                session.add(PostTopic(post_id=post.id, topic_id=topic_id, published_at=stamp,
                                      category=category))
            ids.append(post.id)
    return ids


async def insert_post(api: Api, *, post_id: str, category: str | None, status: PostStatus,
                      created_at: datetime, publish_at: datetime | None = None) -> str:
    """A queued or suggested post with a chosen id and creation time (for tie-breaks)."""
    async with api.db.transaction() as session:
        session.add(Post(id=post_id, url=f"https://example.com/tie/{post_id}", category=category,
                         captions={"default": "Tie"}, status=status, publish_at=publish_at,
                         created_at=created_at, updated_at=created_at))
    return post_id
