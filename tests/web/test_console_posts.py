"""/console/posts: create and edit a post through the form (URL first, captions per network,
topics, category, a schedule in the organisation's zone), refusals that keep what was typed
and save nothing, the list by status, and archiving with a confirmation step."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from app.core.config import Settings
from app.models import Post, PostTopic
from app.models.enums import Category, PostStatus, Role
from tests.builders import Api, make_post, make_topic
from tests.conftest import SECRET
from tests.web.pages import browser_of, csrf_of

ZONE = "Asia/Bangkok"  # UTC+7 all year: 16:00 there is 09:00 UTC


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET,
                    timezone=ZONE)


async def _marketer(api: Api) -> str:
    await browser_of(api, Role.marketer)
    return csrf_of((await api.client.get("/console/posts/new")).text)


async def _topics(api: Api, *names: str) -> list[str]:
    async with api.db.transaction() as session:
        return [(await make_topic(session, name=name)).id for name in names]


async def _stored(api: Api) -> list[Post]:
    async with api.db.transaction() as session:
        return list(await session.scalars(select(Post).order_by(Post.created_at)))


async def _topic_ids(api: Api, post_id: str) -> list[str]:
    async with api.db.transaction() as session:
        return sorted(await session.scalars(
            select(PostTopic.topic_id).where(PostTopic.post_id == post_id)))


def _form(token: str, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"csrf_token": token, "url": "https://example.org/launch",
                            "caption_default": "Our launch, in our words.",
                            "category": "curated"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not None}


async def test_the_new_post_form_explains_itself(api: Api) -> None:
    await _topics(api, "Product", "Security")
    await _marketer(api)
    html = (await api.client.get("/console/posts/new")).text
    assert html.index('name="url"') < html.index('name="title"')  # URL first
    assert "a background fetch will fill empty fields" in html.lower()
    assert "that fetch comes in a later release" in html
    assert "X allows at most 280 characters." in html and ">0/280</span>" in html
    assert "Of every ten posts, six are curated, three owned and one promotional" in html
    assert "Third-party content your advocates' networks value" in html
    assert "Content that sells: offers, product pitches, event sign-ups." in html
    assert f"In the organisation's time zone ({ZONE})" in html
    assert re.search(r'<input id="post-publish-at" name="publish_at" type="datetime-local"', html)
    assert re.search(r'name="topic_ids" type="checkbox" value="[^"]+"> Product</label>', html)
    visible = re.findall(r'<(?:input|textarea) id="([^"]+)"', html)
    # link; title, summary, image; four captions; lock; three categories; two topics;
    # publish, expiry, campaign
    assert len(visible) == 1 + 3 + 4 + 1 + 3 + 2 + 3
    for field_id in visible:
        assert f'for="{field_id}"' in html, field_id


async def test_a_post_is_queued_with_its_schedule_in_utc(api: Api) -> None:
    product, security = await _topics(api, "Product", "Security")
    token = await _marketer(api)
    response = await api.client.post("/console/posts", data=_form(
        token, url="https://example.org/launch?ref=news", title="", summary="  ",
        caption_x="Short for X", caption_linkedin="", category="promotional",
        topic_ids=[product, security], publish_at="2031-03-02T16:00",
        expires_at="2031-03-09T16:00", campaign="spring", lock_caption="on"))
    assert response.status_code == 303
    [post] = await _stored(api)
    assert response.headers["location"] == f"/console?saved={post.id}#entry-{post.id}"
    assert post.url == "https://example.org/launch?ref=news"
    assert post.title is None and post.summary is None and post.image_url is None
    assert post.captions == {"default": "Our launch, in our words.", "x": "Short for X"}
    assert post.category == Category.promotional and post.status == PostStatus.queued
    assert post.publish_at == datetime(2031, 3, 2, 9, 0, tzinfo=UTC)
    assert post.expires_at == datetime(2031, 3, 9, 9, 0, tzinfo=UTC)
    assert post.campaign == "spring" and post.lock_caption is True
    assert await _topic_ids(api, post.id) == sorted([product, security])


async def test_an_empty_schedule_means_as_soon_as_the_mix_allows(api: Api) -> None:
    token = await _marketer(api)
    response = await api.client.post("/console/posts", data=_form(token, publish_at=""))
    assert response.status_code == 303
    [post] = await _stored(api)
    assert post.publish_at is None and post.lock_caption is False


REFUSALS = [
    ({"url": "ftp://example.org/file"}, "url",
     "Enter a full address that starts with https:// or http://."),
    ({"url": ""}, "url", "Enter the link to share."),
    ({"caption_x": "x" * 281}, "caption-x", "At most 280 characters: this has 281."),
    ({"caption_default": "  "}, "caption-default", "Write a default caption"),
    ({"category": None}, "category", "Choose a category."),
    ({"category": "viral"}, "category", "This value is not accepted"),
    ({"image_url": "javascript:alert(1)"}, "image-url", "Enter a full address"),
    ({"publish_at": "tomorrow"}, "publish-at", "Enter a date and time, for example"),
    ({"publish_at": "2031-03-02T16:00", "expires_at": "2031-03-02T15:00"}, "expires-at",
     "The expiry must be after the publish time."),
    ({"topic_ids": ["deleted-topic"]}, "topics", "A chosen topic no longer exists"),
    ({"title": "t" * 501}, "title", "At most 500 characters: this has 501."),
]


@pytest.mark.parametrize(("fields", "field_id", "message"), REFUSALS)
async def test_a_refused_post_says_what_to_fix_keeps_the_text_and_saves_nothing(
        api: Api, fields: dict[str, Any], field_id: str, message: str) -> None:
    token = await _marketer(api)
    sent = _form(token, caption_linkedin="Kept for LinkedIn", **fields)
    response = await api.client.post("/console/posts", data=sent)
    assert response.status_code == 422
    html = response.text
    error = re.search(rf'<p class="field__error" id="post-{field_id}-error">([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert 'role="alert"' in html and f'href="#post-{field_id}' in html  # the summary links
    assert ">Kept for LinkedIn</textarea>" in html
    if field_id == "url":
        assert f'value="{sent["url"]}"' in html
    assert await _stored(api) == []


async def test_editing_a_queued_post_changes_only_what_changed(api: Api) -> None:
    product, security = await _topics(api, "Product", "Security")
    async with api.db.transaction() as session:
        post = await make_post(session, category=Category.owned, topic_ids=[product],
                               title="First title",
                               publish_at=datetime(2031, 3, 2, 9, 0, 30, tzinfo=UTC))
    token = await _marketer(api)
    html = (await api.client.get(f"/console/posts/{post.id}/edit")).text
    assert 'value="2031-03-02T16:00"' in html and 'value="First title"' in html
    assert 'id="post-category-owned" name="category" type="radio" value="owned" checked' in html
    response = await api.client.post(f"/console/posts/{post.id}/edit", data=_form(
        token, url=post.url, title="Better title", category="curated",
        topic_ids=[security], publish_at="2031-03-02T16:00"))
    assert response.status_code == 303
    [stored] = await _stored(api)
    assert stored.title == "Better title" and stored.category == Category.curated
    # The form shows minutes: an unchanged field keeps the stored seconds.
    assert stored.publish_at == datetime(2031, 3, 2, 9, 0, 30, tzinfo=UTC)
    assert await _topic_ids(api, post.id) == [security]


async def _published(api: Api, topic_id: str) -> Post:
    async with api.db.transaction() as session:
        post = await make_post(session, category=Category.curated, topic_ids=[topic_id],
                               title="Already out")
        post.status = PostStatus.published
        post.published_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        return post


async def test_a_published_post_shows_its_frozen_fields_disabled(api: Api) -> None:
    [product] = await _topics(api, "Product")
    post = await _published(api, product)
    await _marketer(api)
    html = (await api.client.get(f"/console/posts/{post.id}/edit")).text
    assert 'value="curated" checked disabled' in html
    assert re.search(r'name="topic_ids" type="checkbox" value="[^"]+" checked disabled', html)
    assert re.search(r'name="publish_at" type="datetime-local" value="" disabled', html)
    assert html.count("Fixed once published") == 3
    assert f'href="/console/posts/{post.id}/archive"' in html


async def test_a_published_post_keeps_its_place_but_takes_a_new_title(api: Api) -> None:
    [product] = await _topics(api, "Product")
    post = await _published(api, product)
    token = await _marketer(api)
    response = await api.client.post(f"/console/posts/{post.id}/edit", data=_form(
        token, url=post.url, title="Clearer title", category=None))
    assert response.status_code == 303
    [stored] = await _stored(api)
    assert stored.title == "Clearer title" and stored.category == Category.curated
    assert await _topic_ids(api, post.id) == [product]


async def test_changing_a_published_posts_category_is_refused_with_the_reason(api: Api) -> None:
    [product] = await _topics(api, "Product")
    post = await _published(api, product)
    token = await _marketer(api)
    response = await api.client.post(f"/console/posts/{post.id}/edit", data=_form(
        token, url=post.url, title="Sneaky", category="promotional"))
    assert response.status_code == 409
    assert "A published post keeps its category, topics and publish time" in response.text
    assert 'value="Sneaky"' in response.text
    [stored] = await _stored(api)
    assert stored.title == "Already out" and stored.category == Category.curated


async def test_a_rejected_post_cannot_be_edited(api: Api) -> None:
    async with api.db.transaction() as session:
        post = await make_post(session, title="Turned down")
        post.status = PostStatus.rejected
    token = await _marketer(api)
    html = (await api.client.get(f"/console/posts/{post.id}/edit")).text
    assert "This post is rejected: it can no longer be edited." in html
    assert 'name="url"' not in html
    response = await api.client.post(f"/console/posts/{post.id}/edit",
                                     data=_form(token, url=post.url, title="Revived"))
    assert response.status_code == 409
    [stored] = await _stored(api)
    assert stored.title == "Turned down"


async def test_an_unknown_post_is_a_404_page(api: Api) -> None:
    await _marketer(api)
    for path in ("/console/posts/nope/edit", "/console/posts/nope/archive"):
        response = await api.client.get(path)
        assert response.status_code == 404 and "Page not found" in response.text


async def test_the_list_shows_posts_by_status_with_their_actions(api: Api) -> None:
    [product] = await _topics(api, "Product")
    published = await _published(api, product)
    async with api.db.transaction() as session:
        queued = await make_post(session, title="Waiting its turn")
    await _marketer(api)
    html = (await api.client.get("/console/posts")).text
    assert '<a href="/console/posts" aria-current="page">All</a>' in html
    out = re.search(rf'<tr id="post-{published.id}">.*?</tr>', html, re.S)
    waiting = re.search(rf'<tr id="post-{queued.id}">.*?</tr>', html, re.S)
    assert out and waiting
    assert f'/console/posts/{published.id}/archive' in out.group(0)
    assert "Product" in out.group(0) and "Published" in out.group(0)
    assert f'/console/posts/{queued.id}/edit' in waiting.group(0)
    assert "/archive" not in waiting.group(0)
    only = (await api.client.get("/console/posts", params={"status": "queued"})).text
    assert "Waiting its turn" in only and "Already out" not in only
    assert '<a href="/console/posts?status=queued" aria-current="page">Queued</a>' in only
    assert (await api.client.get("/console/posts", params={"status": "x"})).status_code == 422


async def test_archiving_asks_first_then_archives(api: Api) -> None:
    [product] = await _topics(api, "Product")
    post = await _published(api, product)
    token = await _marketer(api)
    html = (await api.client.get(f"/console/posts/{post.id}/archive")).text
    assert "Archive “Already out”?" in html
    assert "Links advocates have already shared keep working" in html
    assert f'<form method="post" action="/console/posts/{post.id}/archive"' in html
    [stored] = await _stored(api)
    assert stored.status == PostStatus.published  # asking changes nothing
    response = await api.client.post(f"/console/posts/{post.id}/archive",
                                     data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == \
        f"/console/posts?status=archived&archived={post.id}"
    [stored] = await _stored(api)
    assert stored.status == PostStatus.archived
    html = (await api.client.get(response.headers["location"])).text
    assert "Archived “Already out”: it has left advocates' feeds" in html


async def test_only_a_published_post_can_be_archived(api: Api) -> None:
    async with api.db.transaction() as session:
        post = await make_post(session, title="Still queued")
    token = await _marketer(api)
    response = await api.client.post(f"/console/posts/{post.id}/archive",
                                     data={"csrf_token": token})
    assert response.status_code == 409
    assert "Only a published post can be archived; this one is queued." in response.text
    [stored] = await _stored(api)
    assert stored.status == PostStatus.queued


async def test_titles_are_escaped_in_the_list_and_the_form(api: Api) -> None:
    async with api.db.transaction() as session:
        post = await make_post(session, title='<script>alert(1)</script>"')
    await _marketer(api)
    for path in ("/console/posts", f"/console/posts/{post.id}/edit",
                 f"/console/posts/{post.id}/archive"):
        html = (await api.client.get(path)).text
        assert "<script>alert(1)" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path


async def test_the_form_in_thai(api: Api) -> None:
    await browser_of(api, Role.marketer)
    response = await api.client.get("/console/posts/new", headers={"Accept-Language": "th"})
    html = response.text
    assert response.headers["content-language"] == "th"
    assert "<h1>โพสต์ใหม่</h1>" in html
    assert "X รับได้ไม่เกิน 280 ตัวอักษร" in html
    token = csrf_of(html)
    refused = await api.client.post("/console/posts", data=_form(token, caption_x="x" * 281),
                                    headers={"Accept-Language": "th"})
    assert refused.status_code == 422
    assert "ได้ไม่เกิน 280 ตัวอักษร แต่ข้อความนี้มี 281 ตัวอักษร" in refused.text
