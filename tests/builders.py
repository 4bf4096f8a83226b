"""Small builders for test data: they flush, the caller's unit of work commits."""

from __future__ import annotations

import itertools
from datetime import datetime
from functools import lru_cache
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth_service
from app.auth import users as users_service
from app.auth.passwords import hash_password_sync
from app.content import service as content_service
from app.content import topics as topics_service
from app.content.schemas import Captions, PostCreate
from app.core.db import Database
from app.models import Post, Topic, User
from app.models.enums import Category, PostStatus, Role

PASSWORD = "correct horse battery"
_seq = itertools.count(1)


@lru_cache
def password_hash() -> str:
    return hash_password_sync(PASSWORD)


async def make_user(session: AsyncSession, *, role: Role = Role.advocate,
                    email: str | None = None, name: str | None = None,
                    group_ids: list[str] | None = None, topic_ids: list[str] | None = None,
                    active: bool = True) -> User:
    n = next(_seq)
    user = await users_service.create(
        session, email=email or f"user{n}@corp.test", name=name or f"User {n}", role=role,
        password_hash=password_hash(), group_ids=group_ids or [], topic_ids=topic_ids or [],
    )
    if not active:
        await users_service.deactivate(session, user)
    return user


async def make_topic(session: AsyncSession, *, name: str | None = None) -> Topic:
    n = next(_seq)
    return await topics_service.create(session, name=name or f"Topic {n}", slug=None,
                                       description=None)


async def make_post(session: AsyncSession, *, category: Category = Category.curated,
                    topic_ids: list[str] | None = None, publish_at: datetime | None = None,
                    url: str | None = None, **fields: Any) -> Post:
    n = next(_seq)
    values: dict[str, Any] = {"title": f"Post {n}", "captions": Captions(default=f"Caption {n}")}
    values.update(fields)
    post = await content_service.create(session, data=PostCreate(
        url=url or f"https://example.com/article/{n}", category=category,
        topic_ids=topic_ids or [], publish_at=publish_at, **values,
    ))
    return post


async def token_for(session: AsyncSession, user: User) -> str:
    return (await auth_service.start_session(session, user=user)).token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """The test client plus the app's database, with helpers to act as a given role."""

    def __init__(self, client: httpx.AsyncClient, db: Database) -> None:
        self.client = client
        self.db = db

    async def user(self, role: Role = Role.advocate, **kwargs: Any) -> tuple[User, dict[str, str]]:
        """A committed user of ``role`` and the headers that authenticate as them."""
        async with self.db.transaction() as session:
            user = await make_user(session, role=role, **kwargs)
            token = await token_for(session, user)
        return user, bearer(token)

    async def headers(self, role: Role = Role.advocate, **kwargs: Any) -> dict[str, str]:
        return (await self.user(role, **kwargs))[1]


__all__ = ["Api", "Category", "PostStatus", "Role", "bearer", "make_post", "make_topic",
           "make_user", "token_for"]
