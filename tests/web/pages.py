"""Helpers for page tests: sign a browser in with a cookie, read a page's form token."""

from __future__ import annotations

import re

import httpx

from app.auth.principal import SESSION_COOKIE
from app.models import User
from tests.builders import Api, Role

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
