"""/console/feeds (CONTRACT §8): marketers see the registered feeds and how each one's last
read went, add one with the form (as ``POST /api/v1/feeds``, CSRF-protected, refusals shown
next to the field) and delete one; in English and Thai; other roles get 403."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.core.clock import utcnow
from app.feeds.service import url_key
from app.models.enums import Category, Role
from app.models.feeds import Feed, FeedTopic
from tests.builders import Api, make_post, make_topic
from tests.web.pages import browser_of, csrf_of

PAGE = "/console/feeds"
BLOG_FEED = "https://blog.example.com/feed.xml"
THAI = {"Accept-Language": "th"}


async def _stored(api: Api) -> list[tuple[str, str, list[str]]]:
    async with api.db.transaction() as session:
        feeds = list(await session.scalars(select(Feed).order_by(Feed.url)))
        return [(f.url, f.category, sorted(await session.scalars(
            select(FeedTopic.topic_id).where(FeedTopic.feed_id == f.id)))) for f in feeds]


async def _a_read_feed(api: Api) -> str:
    async with api.db.transaction() as session:
        feed = Feed(url="https://news.example.org/atom.xml",
                    url_key=url_key("https://news.example.org/atom.xml"),
                    category=Category.curated, title="Acme Newsroom",
                    last_fetched_at=utcnow(), last_error="the feed answered HTTP 503")
        session.add(feed)
        await session.flush()
        return feed.id


def _row(html: str, feed_id: str) -> str:
    match = re.search(rf'<tr id="feed-{feed_id}">.*?</tr>', html, re.S)
    assert match, "no row for the feed"
    return match.group(0)


async def _marketer(api: Api, headers: dict[str, str] | None = None) -> str:
    await browser_of(api, Role.marketer)
    response = await api.client.get(PAGE, headers=headers)
    assert response.status_code == 200
    return csrf_of(response.text)


async def test_the_page_lists_feeds_and_their_last_read(api: Api) -> None:
    feed_id = await _a_read_feed(api)
    await browser_of(api, Role.marketer)

    response = await api.client.get(PAGE)

    assert response.status_code == 200
    assert '<a href="/console/feeds" aria-current="page">Feeds</a>' in response.text
    row = _row(response.text, feed_id)
    assert '<span class="post-title">Acme Newsroom</span>' in row
    assert '<span class="post-url">https://news.example.org/atom.xml</span>' in row
    assert "Curated" in row
    assert "Could not be read: the feed answered HTTP 503" in row
    assert f'action="/console/feeds/{feed_id}/delete"' in row


async def test_with_no_feeds_the_page_says_so_and_offers_the_form(api: Api) -> None:
    await browser_of(api, Role.admin)
    html = (await api.client.get(PAGE)).text
    assert "No feeds yet." in html
    assert '<form class="form" method="post" action="/console/feeds">' in html
    assert 'id="feed-category-owned" name="category" type="radio" value="owned" checked' in html


async def test_the_form_adds_a_feed_with_its_category_and_topics(api: Api) -> None:
    async with api.db.transaction() as session:
        topic = await make_topic(session, name="Engineering")
        await make_topic(session, name="Sales")
    token = await _marketer(api)

    response = await api.client.post(PAGE, data={
        "csrf_token": token, "url": BLOG_FEED, "category": "curated", "topic_ids": topic.id})

    assert response.status_code == 303
    assert await _stored(api) == [(BLOG_FEED, "curated", [topic.id])]
    assert response.headers["location"].startswith("/console/feeds?added=")
    html = (await api.client.get(response.headers["location"])).text
    assert f"Added the feed {BLOG_FEED}: its newest entries are queued within a minute." in html
    assert "Not read yet: within a minute." in html


async def test_a_form_without_the_token_changes_nothing(api: Api) -> None:
    await browser_of(api, Role.marketer)
    response = await api.client.post(PAGE, data={"url": BLOG_FEED})
    assert response.status_code == 403 and "Form not accepted" in response.text
    assert await _stored(api) == []


async def test_a_cross_site_form_changes_nothing(api: Api) -> None:
    token = await _marketer(api)
    response = await api.client.post(PAGE, data={"csrf_token": token, "url": BLOG_FEED},
                                     headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403 and await _stored(api) == []


@pytest.mark.parametrize(("url", "status", "message"), [
    ("", 422, "Enter the feed's address."),
    ("blog.example.com/feed", 422, "Enter a full address that starts with https:// or http://."),
    ("http://10.0.0.1/feed", 422, "Chorus cannot read feeds at this address"),
    ("https://intranet.corp/rss", 422, "Chorus cannot read feeds at this address"),
])
async def test_a_refused_address_comes_back_with_what_to_fix(
        api: Api, url: str, status: int, message: str) -> None:
    token = await _marketer(api)
    response = await api.client.post(PAGE, data={"csrf_token": token, "url": url,
                                                 "category": "promotional"})
    assert response.status_code == status
    assert f'<p class="field__error" id="feed-url-error">{message}' in response.text
    assert 'aria-invalid="true"' in response.text
    # What was typed is kept.
    assert f'value="{url}"' in response.text
    assert 'value="promotional" checked' in response.text
    assert await _stored(api) == []


async def test_a_feed_registered_twice_is_refused(api: Api) -> None:
    token = await _marketer(api)
    assert (await api.client.post(PAGE, data={"csrf_token": token, "url": BLOG_FEED})
            ).status_code == 303
    response = await api.client.post(PAGE, data={"csrf_token": token, "url": BLOG_FEED})
    assert response.status_code == 409
    assert "This feed is already registered." in response.text
    assert len(await _stored(api)) == 1


async def test_the_delete_button_removes_the_feed_and_keeps_its_posts(api: Api) -> None:
    feed_id = await _a_read_feed(api)
    async with api.db.transaction() as session:
        post = await make_post(session, title="From the newsroom")
    token = await _marketer(api)

    response = await api.client.post(f"{PAGE}/{feed_id}/delete", data={"csrf_token": token})

    assert response.status_code == 303
    assert response.headers["location"] == "/console/feeds?deleted=1"
    assert await _stored(api) == []
    html = (await api.client.get(response.headers["location"])).text
    assert "The feed was deleted." in html
    async with api.db.transaction() as session:
        assert await session.get(type(post), post.id) is not None


async def test_deleting_needs_the_token(api: Api) -> None:
    feed_id = await _a_read_feed(api)
    await browser_of(api, Role.marketer)
    response = await api.client.post(f"{PAGE}/{feed_id}/delete")
    assert response.status_code == 403 and len(await _stored(api)) == 1


async def test_deleting_an_unknown_feed_is_404(api: Api) -> None:
    token = await _marketer(api)
    response = await api.client.post(f"{PAGE}/0123456789abcdef0123456789abcdef/delete",
                                     data={"csrf_token": token})
    assert response.status_code == 404


async def test_the_page_and_its_messages_are_in_thai(api: Api) -> None:
    feed_id = await _a_read_feed(api)
    token = await _marketer(api, THAI)

    html = (await api.client.get(PAGE, headers=THAI)).text
    assert '<html lang="th"' in html
    assert "<h1>ฟีด RSS</h1>" in html and "เพิ่มฟีด" in html
    assert "อ่านไม่ได้: the feed answered HTTP 503" in _row(html, feed_id)

    refused = await api.client.post(PAGE, headers=THAI, data={
        "csrf_token": token, "url": "https://news.example.org/atom.xml"})
    assert refused.status_code == 409 and "ฟีดนี้ลงทะเบียนไว้แล้ว" in refused.text

    added = await api.client.post(PAGE, headers=THAI, data={"csrf_token": token,
                                                            "url": BLOG_FEED})
    html = (await api.client.get(added.headers["location"], headers=THAI)).text
    assert f"เพิ่มฟีด {BLOG_FEED} แล้ว" in html


@pytest.mark.parametrize("role", [Role.advocate, Role.manager])
async def test_other_roles_get_403_and_no_feed(api: Api, role: Role) -> None:
    feed_id = await _a_read_feed(api)
    await browser_of(api, role)
    response = await api.client.get(PAGE)
    assert response.status_code == 403 and "Acme Newsroom" not in response.text
    token = csrf_of((await api.client.get("/app")).text)
    assert (await api.client.post(PAGE, data={"csrf_token": token, "url": BLOG_FEED})
            ).status_code == 403
    assert (await api.client.post(f"{PAGE}/{feed_id}/delete", data={"csrf_token": token})
            ).status_code == 403
    assert len(await _stored(api)) == 1


async def test_a_visitor_gets_the_login_form(api: Api) -> None:
    await _a_read_feed(api)
    response = await api.client.get(PAGE)
    assert response.status_code == 200 and 'action="/login"' in response.text
    assert "Acme Newsroom" not in response.text
