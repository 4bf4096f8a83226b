"""Small reads every console page needs: topics by name, people's names, pending reviews."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Post, Topic, User
from app.models.enums import PostStatus


@dataclass(frozen=True)
class TopicRef:
    id: str
    name: str


async def all_topics(session: AsyncSession) -> list[TopicRef]:
    """Every topic, by name: organisations have a handful, never thousands."""
    rows = await session.execute(select(Topic.id, Topic.name).order_by(Topic.name, Topic.id))
    return [TopicRef(topic_id, name) for topic_id, name in rows]


def names_of(topics: Iterable[TopicRef], ids: Iterable[str]) -> list[TopicRef]:
    by_id = {t.id: t for t in topics}
    return sorted((by_id[i] for i in ids if i in by_id), key=lambda t: (t.name, t.id))


async def user_names(session: AsyncSession, ids: Iterable[str | None]) -> dict[str, str]:
    wanted = sorted({i for i in ids if i})
    if not wanted:
        return {}
    rows = await session.execute(select(User.id, User.name).where(User.id.in_(wanted)))
    return {user_id: name for user_id, name in rows}


async def pending_suggestions(session: AsyncSession) -> int:
    """Suggestions waiting for review (shown on the console's navigation)."""
    count = await session.scalar(
        select(func.count()).select_from(Post).where(Post.status == PostStatus.suggested))
    return int(count or 0)
