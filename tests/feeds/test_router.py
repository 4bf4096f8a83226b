"""``/api/v1/feeds`` (CONTRACT §3): marketers register, list and delete RSS and Atom feeds;
a URL that is not http(s), that resolves to a private address, or that is registered
already is refused and nothing is stored; advocates and managers get 403."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlalchemy import func, select

from app.core.config import Settings
from app.jobs.queue import NoJobs
from app.models.feeds import Feed, FeedEntry
from tests.builders import Api, Role, make_post, make_topic

FEEDS = "/api/v1/feeds"
BLOG_FEED = "https://blog.example.com/feed.xml"


async def _feed_count(api: Api) -> int:
    async with api.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Feed)) or 0)


async def test_a_marketer_registers_a_feed_and_its_first_read_is_asked_for(api: Api) -> None:
    async with api.db.transaction() as session:
        topic = await make_topic(session, name="Engineering")
    headers = await api.headers(Role.marketer)

    response = await api.client.post(FEEDS, headers=headers, json={
        "url": BLOG_FEED, "topic_ids": [topic.id]})

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == BLOG_FEED and body["category"] == "owned"
    assert body["topic_ids"] == [topic.id]
    assert body["last_fetched_at"] is None and body["last_error"] is None
    assert body["entries_imported"] == 0 and body["title"] is None
    assert body["created_at"].endswith("Z")
    assert isinstance(api.db.jobs, NoJobs)
    assert api.db.jobs.sent == [("import_feed", (body["id"],))]


async def test_the_category_can_be_chosen(api: Api) -> None:
    headers = await api.headers(Role.admin)
    response = await api.client.post(FEEDS, headers=headers, json={
        "url": BLOG_FEED, "category": "promotional"})
    assert response.status_code == 201 and response.json()["category"] == "promotional"


async def test_feeds_are_listed_newest_first_with_a_cursor(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    for path in ("a", "b", "c"):
        response = await api.client.post(FEEDS, headers=headers,
                                         json={"url": f"https://blog.example.com/{path}.xml"})
        assert response.status_code == 201

    first = (await api.client.get(FEEDS, headers=headers, params={"limit": 2})).json()
    second = (await api.client.get(FEEDS, headers=headers, params={
        "limit": 2, "cursor": first["next_cursor"]})).json()

    assert [f["url"].rsplit("/", 1)[1] for f in first["items"]] == ["c.xml", "b.xml"]
    assert [f["url"].rsplit("/", 1)[1] for f in second["items"]] == ["a.xml"]
    assert second["next_cursor"] is None


async def test_the_same_url_twice_is_409(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    assert (await api.client.post(FEEDS, headers=headers, json={"url": BLOG_FEED})
            ).status_code == 201

    # Scheme and host are case-insensitive; the fragment never reaches the server.
    again = await api.client.post(FEEDS, headers=headers,
                                  json={"url": "HTTPS://Blog.Example.com/feed.xml#top"})

    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert await _feed_count(api) == 1


@pytest.mark.parametrize("url", [
    "ftp://blog.example.com/feed.xml", "/feed.xml", "javascript:alert(1)",
    "file:///etc/passwd", "https://", "not a url"])
async def test_a_url_that_is_not_absolute_http_is_422(api: Api, url: str) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.post(FEEDS, headers=headers, json={"url": url})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "url"]
    assert await _feed_count(api) == 0


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/feed.xml", "http://10.0.0.1/rss", "http://169.254.169.254/latest/",
    "http://[::1]/feed", "http://[::ffff:127.0.0.1]/feed", "https://intranet.corp/feed.xml",
    "https://metadata.example.net/feed", "https://unknown.example.com/feed.xml"])
async def test_a_url_on_a_private_address_is_422(api: Api, url: str) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.post(FEEDS, headers=headers, json={"url": url})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["body", "url"]
    assert await _feed_count(api) == 0
    assert isinstance(api.db.jobs, NoJobs) and api.db.jobs.sent == []


async def test_private_addresses_are_allowed_when_the_settings_say_so(
        api: Api, app: FastAPI, settings: Settings) -> None:
    app.state.settings = settings.model_copy(update={"allow_private_webhooks": True})
    headers = await api.headers(Role.marketer)
    response = await api.client.post(FEEDS, headers=headers,
                                     json={"url": "https://intranet.corp/feed.xml"})
    assert response.status_code == 201


async def test_an_unknown_topic_is_422(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.post(FEEDS, headers=headers, json={
        "url": BLOG_FEED, "topic_ids": ["0123456789abcdef0123456789abcdef"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "topic_ids", 0]
    assert await _feed_count(api) == 0


async def test_an_unknown_category_is_422(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.post(FEEDS, headers=headers, json={
        "url": BLOG_FEED, "category": "news"})
    assert response.status_code == 422 and await _feed_count(api) == 0


@pytest.mark.parametrize("role", [Role.advocate, Role.manager])
async def test_other_roles_get_403_whatever_the_body(api: Api, role: Role) -> None:
    headers = await api.headers(role)
    assert (await api.client.post(FEEDS, headers=headers, json={"url": BLOG_FEED})
            ).status_code == 403
    assert (await api.client.post(FEEDS, headers=headers, json={"garbage": 1})
            ).status_code == 403
    assert (await api.client.get(FEEDS, headers=headers)).status_code == 403
    assert (await api.client.delete(f"{FEEDS}/0123", headers=headers)).status_code == 403
    assert await _feed_count(api) == 0


async def test_an_anonymous_caller_is_401(api: Api) -> None:
    assert (await api.client.get(FEEDS)).status_code == 401
    assert (await api.client.post(FEEDS, json={"url": BLOG_FEED})).status_code == 401


async def test_deleting_a_feed_keeps_its_posts(api: Api) -> None:
    headers = await api.headers(Role.marketer)
    feed_id = (await api.client.post(FEEDS, headers=headers, json={"url": BLOG_FEED})
               ).json()["id"]
    async with api.db.transaction() as session:
        post = await make_post(session, url="https://blog.example.com/2026/11/retros")
        session.add(FeedEntry(feed_id=feed_id, key="k" * 64, post_id=post.id))
    listed = (await api.client.get(FEEDS, headers=headers)).json()["items"]
    assert [f["entries_imported"] for f in listed] == [1]

    response = await api.client.delete(f"{FEEDS}/{feed_id}", headers=headers)

    assert response.status_code == 204
    assert (await api.client.get(FEEDS, headers=headers)).json()["items"] == []
    assert (await api.client.get(f"/api/v1/posts/{post.id}", headers=headers)
            ).status_code == 200
    async with api.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(FeedEntry)) == 0


@pytest.mark.parametrize("feed_id", ["0123456789abcdef0123456789abcdef", "not-an-id", "%00"])
async def test_deleting_an_unknown_feed_is_404(api: Api, feed_id: str) -> None:
    headers = await api.headers(Role.marketer)
    response = await api.client.delete(f"{FEEDS}/{feed_id}", headers=headers)
    assert response.status_code == 404

