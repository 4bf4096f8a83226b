"""Helpers for page tests: sign a browser in with a cookie, read a page's form token."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from sqlalchemy import event

from app.auth.principal import SESSION_COOKIE
from app.content import publisher
from app.core.db import Database
from app.models import Post, User
from app.sharing import policy
from app.sharing.policy import SharingSettings
from tests.builders import Api, Role, make_post

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')


def csrf_of(html: str) -> str:
    match = CSRF_META.search(html)
    assert match, "the page has no <meta name=\"csrf-token\">"
    return match.group(1)


async def browser_of(api: Api, role: Role = Role.advocate, **kwargs: object) -> tuple[User, str]:
    """A committed user of ``role`` whose session cookie the test client now carries; and
    their session token."""
    user, headers = await api.user(role, **kwargs)
    token = headers["Authorization"].removeprefix("Bearer ")
    api.client.cookies.set(SESSION_COOKIE, token)
    return user, token


async def form_token(client: httpx.AsyncClient, path: str = "/app") -> str:
    """The CSRF token a page at ``path`` gives this browser (and its pre-session cookie)."""
    response = await client.get(path)
    assert response.status_code == 200, response.text
    return csrf_of(response.text)


async def publish(api: Api, **fields: Any) -> Post:
    """A post made by the builder and published now."""
    async with api.db.transaction() as session:
        post = await make_post(session, **fields)
        await publisher.run(session)
    return post


async def sharing_settings(api: Api, **values: Any) -> None:
    async with api.db.transaction() as session:
        await policy.save_sharing_settings(session, SharingSettings(**values))


@contextmanager
def counting_statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement the app sends inside the block (to catch N+1 queries)."""
    statements: list[str] = []

    def note(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", note)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", note)
