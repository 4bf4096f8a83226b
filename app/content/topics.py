"""Topics: how content and advocates are segmented."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.models import Topic

TOPIC_ORDER = (SortKey(Topic.name), SortKey(Topic.id))


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:100].strip("-")


async def get_or_raise(session: AsyncSession, topic_id: str) -> Topic:
    topic = await session.get(Topic, topic_id)
    if topic is None:
        raise NotFound("No such topic.")
    return topic


async def _ensure_slug_free(session: AsyncSession, slug: str, except_id: str | None = None
                            ) -> None:
    other = await session.scalar(select(Topic).where(Topic.slug == slug))
    if other is not None and other.id != except_id:
        raise Conflict(f"A topic with the slug {slug!r} already exists.")


async def create(session: AsyncSession, *, name: str, slug: str | None,
                 description: str | None) -> Topic:
    slug = slug or slugify(name)
    if not slug:
        raise Invalid("Give a slug: none can be made from this name.", loc=["body", "slug"])
    await _ensure_slug_free(session, slug)
    topic = Topic(name=name, slug=slug, description=description)
    session.add(topic)
    await session.flush()
    return topic


async def update(session: AsyncSession, topic: Topic, changes: dict[str, Any]) -> Topic:
    if changes.get("slug") is not None:
        await _ensure_slug_free(session, changes["slug"], except_id=topic.id)
        topic.slug = changes["slug"]
    if changes.get("name") is not None:
        topic.name = changes["name"]
    if "description" in changes:
        topic.description = changes["description"]
    await session.flush()
    return topic


async def delete(session: AsyncSession, topic: Topic) -> None:
    """Posts and advocates lose the topic; the posts themselves stay."""
    await session.delete(topic)
    await session.flush()


async def list_topics(session: AsyncSession, *, limit: int, cursor: str | None
                      ) -> tuple[list[Topic], str | None]:
    rows = list(await session.scalars(keyset(select(Topic), TOPIC_ORDER, cursor, limit)))
    return page_of(rows, TOPIC_ORDER, limit)
