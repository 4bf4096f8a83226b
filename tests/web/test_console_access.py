"""Who opens /console (CONTRACT §8): marketers and admins; a visitor gets the login form, a
manager or an advocate the 403 page with none of the console's data; every form of the
console refuses a request without the CSRF token or from another site, changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.models import Post
from app.models.enums import Category, PostStatus, Role
from tests.builders import Api, make_post, make_topic, make_user
from tests.web.pages import browser_of, csrf_of

SECRET_TITLE = "Q3 launch plan nobody may see"
PAGES = ["/console", "/console/posts", "/console/posts/new", "/console/suggestions",
         "/console/feeds"]


async def _secret_post(api: Api) -> str:
    async with api.db.transaction() as session:
        topic = await make_topic(session, name="Launches")
        post = await make_post(session, category=Category.owned, topic_ids=[topic.id],
                               title=SECRET_TITLE)
        return post.id


@pytest.mark.parametrize("path", PAGES)
async def test_visitor_gets_the_login_form(api: Api, path: str) -> None:
    await _secret_post(api)
    response = await api.client.get(path)
    assert response.status_code == 200
    assert 'action="/login"' in response.text
    assert f'name="next" value="{path}"' in response.text
    assert SECRET_TITLE not in response.text


@pytest.mark.parametrize("role", [Role.manager, Role.advocate])
@pytest.mark.parametrize("path", [*PAGES, "/console/posts/{id}/edit",
                                  "/console/posts/{id}/archive"])
async def test_other_roles_get_403_and_no_data(api: Api, role: Role, path: str) -> None:
    post_id = await _secret_post(api)
    await browser_of(api, role)
    response = await api.client.get(path.format(id=post_id))
    assert response.status_code == 403
    assert "This page is not for your role" in response.text
    assert SECRET_TITLE not in response.text and "6-3-1" not in response.text


@pytest.mark.parametrize("role", [Role.marketer, Role.admin])
@pytest.mark.parametrize("path", PAGES)
async def test_marketers_and_admins_open_every_page_with_no_data(
        api: Api, role: Role, path: str) -> None:
    await browser_of(api, role)
    response = await api.client.get(path)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert '<nav class="console-nav"' in response.text
    assert response.text.count("<h1") == 1


async def test_an_advocate_cannot_post_to_the_console(api: Api) -> None:
    post_id = await _secret_post(api)
    await browser_of(api, Role.advocate)
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post(f"/console/posts/{post_id}/edit", data={
        "csrf_token": token, "url": "https://evil.example/", "caption_default": "Mine now",
        "category": "curated"})
    assert response.status_code == 403
    async with api.db.transaction() as session:
        post = await session.get(Post, post_id)
        assert post is not None and post.url.startswith("https://example.com/")


async def _posts(api: Api) -> list[tuple[str, PostStatus]]:
    async with api.db.transaction() as session:
        return [(str(u), PostStatus(s)) for u, s in
                await session.execute(select(Post.url, Post.status).order_by(Post.url))]


NEW_POST = {"url": "https://example.org/forged", "caption_default": "Forged",
            "category": "curated"}


async def test_a_form_without_the_token_is_refused(api: Api) -> None:
    await browser_of(api, Role.marketer)
    response = await api.client.post("/console/posts", data=NEW_POST)
    assert response.status_code == 403 and "Form not accepted" in response.text
    assert await _posts(api) == []


async def test_a_wrong_token_is_refused(api: Api) -> None:
    await browser_of(api, Role.marketer)
    response = await api.client.post("/console/posts", data={**NEW_POST, "csrf_token": "x" * 64})
    assert response.status_code == 403 and await _posts(api) == []


@pytest.mark.parametrize("headers", [
    {"Origin": "https://evil.example"},
    {"Sec-Fetch-Site": "cross-site"},
])
async def test_a_cross_site_post_is_refused_even_with_the_token(
        api: Api, headers: dict[str, str]) -> None:
    await browser_of(api, Role.marketer)
    token = csrf_of((await api.client.get("/console")).text)
    response = await api.client.post("/console/posts", data={**NEW_POST, "csrf_token": token},
                                     headers=headers)
    assert response.status_code == 403 and "Form not accepted" in response.text
    assert await _posts(api) == []


@pytest.mark.parametrize("path", ["/console/publish", "/console/posts/{id}/archive",
                                  "/console/suggestions/{id}/approve",
                                  "/console/suggestions/{id}/reject"])
async def test_every_console_form_needs_the_token(api: Api, path: str) -> None:
    async with api.db.transaction() as session:
        advocate = await make_user(session)
        post = await make_post(session, title="Due now")
        suggestion = Post(url="https://example.net/idea", status=PostStatus.suggested,
                          suggested_by=advocate.id, captions={})
        session.add(suggestion)
        await session.flush()
        target = suggestion.id if "suggestions" in path else post.id
    await browser_of(api, Role.marketer)
    response = await api.client.post(path.format(id=target),
                                     data={"category": "curated", "reason": "No"})
    assert response.status_code == 403
    assert await _posts(api) == [(post.url, PostStatus.queued),
                                 ("https://example.net/idea", PostStatus.suggested)]
