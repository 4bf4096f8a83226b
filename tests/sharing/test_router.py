"""Sharing a post (CONTRACT §3 "Advocates")."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from urllib.parse import quote

import pytest
import time_machine
from sqlalchemy import func, select

from app.content import publisher
from app.core.clock import utcnow
from app.models import Share
from tests.builders import Api, Role, make_post, make_topic

BASE = "http://127.0.0.1:8000"


async def _published(api: Api, **fields: object) -> str:
    async with api.db.transaction() as session:
        post = await make_post(session, **fields)  # type: ignore[arg-type]
        await publisher.run(session)
    return post.id


async def test_a_share_is_created_once_then_returned(api: Api) -> None:
    post_id = await _published(api)
    user, headers = await api.user(Role.advocate)
    await api.client.patch("/api/v1/me", headers=headers,
                           json={"follower_counts": {"linkedin": 812}})
    first = await api.client.post(f"/api/v1/posts/{post_id}/shares", headers=headers,
                                  json={"network": "linkedin"})
    assert first.status_code == 201
    share = first.json()
    assert len(share["code"]) >= 7 and share["code"].isalnum()
    assert share["tracked_url"] == f"{BASE}/s/{share['code']}"
    assert share["follower_count"] == 812
    again = await api.client.post(f"/api/v1/posts/{post_id}/shares", headers=headers,
                                  json={"network": "linkedin"})
    assert again.status_code == 200 and again.json() == share
    other = await api.client.post(f"/api/v1/posts/{post_id}/shares", headers=headers,
                                  json={"network": "x"})
    assert other.status_code == 201 and other.json()["code"] != share["code"]
    feed = (await api.client.get("/api/v1/feed", headers=headers)).json()["items"]
    assert feed[0]["shared_on"] == ["linkedin", "x"]


async def test_concurrent_shares_make_one_row(api: Api) -> None:
    post_id = await _published(api)
    _, headers = await api.user()
    responses = await asyncio.gather(*[
        api.client.post(f"/api/v1/posts/{post_id}/shares", headers=headers,
                        json={"network": "facebook"}) for _ in range(5)])
    # CONTRACT §2: the POST that creates the share answers 201, every other one 200 with it.
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1
    created = next(r for r in responses if r.status_code == 201)
    assert all(r.json() == created.json() for r in responses)
    async with api.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Share)) == 1


@pytest.mark.parametrize(("network", "expected"), [
    ("linkedin", "https://www.linkedin.com/sharing/share-offsite/?url={u}"),
    ("x", "https://x.com/intent/tweet?text={c}&url={u}"),
    ("facebook", "https://www.facebook.com/sharer/sharer.php?u={u}"),
    ("whatsapp", "https://wa.me/?text={c}%20{u}"),
    ("email", "mailto:?subject={t}&body={c}%0A%0A{u}"),
    ("copy", "{raw}"),
    ("native", "{raw}"),
])
async def test_share_urls_follow_each_networks_intent(api: Api, network: str,
                                                      expected: str) -> None:
    from app.content.schemas import Captions

    post_id = await _published(api, title="Q&A: 50% faster #builds",
                               captions=Captions(default="Read this & share?",
                                                 x="Short & sweet #dev"))
    _, headers = await api.user()
    share = (await api.client.post(f"/api/v1/posts/{post_id}/shares", headers=headers,
                                   json={"network": network})).json()
    caption = "Short & sweet #dev" if network == "x" else "Read this & share?"
    assert share["caption"] == caption
    raw = share["tracked_url"]
    assert share["share_url"] == expected.format(
        u=quote(raw, safe=""), c=quote(caption, safe=""), t=quote("Q&A: 50% faster #builds",
                                                                  safe=""), raw=raw)


async def test_unpublished_expired_or_invisible_posts_cannot_be_shared(api: Api) -> None:
    now = utcnow()
    async with api.db.transaction() as session:
        topic = await make_topic(session)
        other = await make_topic(session)
        queued = await make_post(session, publish_at=now + timedelta(days=3))
        in_topic = await make_post(session, topic_ids=[topic.id])
        await publisher.run(session)
    _, follower = await api.user(topic_ids=[other.id])
    assert (await api.client.post(f"/api/v1/posts/{queued.id}/shares", headers=follower,
                                  json={"network": "x"})).status_code == 404
    assert (await api.client.post(f"/api/v1/posts/{in_topic.id}/shares", headers=follower,
                                  json={"network": "x"})).status_code == 404
    # Published two hours ago, expired one hour ago (by every clock, the database's too).
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        async with api.db.transaction() as session:
            expiring = await make_post(session, expires_at=now - timedelta(hours=1))
            await publisher.run(session)
        _, early = await api.user()
        shared_in_time = await api.client.post(f"/api/v1/posts/{expiring.id}/shares",
                                               headers=early, json={"network": "x"})
        assert shared_in_time.status_code == 201
    _, late = await api.user()
    expired = await api.client.post(f"/api/v1/posts/{expiring.id}/shares", headers=late,
                                    json={"network": "x"})
    assert expired.status_code == 409
    assert expired.headers["content-type"] == "application/problem+json"
    async with api.db.transaction() as session:
        shares = list(await session.scalars(select(Share).where(Share.post_id == expiring.id)))
    assert len(shares) == 1


async def test_my_shares_external_url_and_stats(api: Api) -> None:
    post_id = await _published(api)
    _, mine = await api.user()
    _, stranger = await api.user()
    manager = await api.headers(Role.manager)
    share = (await api.client.post(f"/api/v1/posts/{post_id}/shares", headers=mine,
                                   json={"network": "linkedin"})).json()
    url = f"/api/v1/shares/{share['id']}"
    linked = await api.client.post(f"{url}/external", headers=mine,
                                   json={"external_url": "https://www.linkedin.com/feed/1"})
    assert linked.status_code == 200
    assert linked.json()["external_url"] == "https://www.linkedin.com/feed/1"
    assert (await api.client.post(f"{url}/external", headers=stranger, json={
        "external_url": "https://example.com"})).status_code == 404
    stats = {"impressions": 900, "likes": 12, "comments": 3, "reshares": 1}
    entered = await api.client.put(f"{url}/stats", headers=mine, json=stats)
    assert entered.status_code == 200 and entered.json()["source"] == "manual"
    assert (await api.client.put(f"{url}/stats", headers=manager, json=stats)).status_code == 200
    assert (await api.client.put(f"{url}/stats", headers=stranger, json=stats)).status_code == 404
    listed = (await api.client.get("/api/v1/me/shares", headers=mine)).json()
    assert [s["id"] for s in listed["items"]] == [share["id"]]
    assert listed["items"][0]["clicks"] == 0
    assert (await api.client.get("/api/v1/me/shares", headers=stranger)).json()["items"] == []


async def test_stats_import_is_all_or_nothing(api: Api) -> None:
    post_id = await _published(api)
    _, advocate = await api.user()
    manager = await api.headers(Role.manager)
    share = (await api.client.post(f"/api/v1/posts/{post_id}/shares", headers=advocate,
                                   json={"network": "x"})).json()
    bad = (f"share_id,impressions,likes,comments,reshares\n{share['id']},10,1,0,0\n"
           "nope,5,1,1,1\n")
    refused = await api.client.post("/api/v1/stats/import", content=bad, headers={
        **manager, "content-type": "text/csv"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["row", 3, "share_id"]
    good = f"share_id,impressions,likes,comments,reshares\n{share['id']},10,1,0,0\n"
    imported = await api.client.post("/api/v1/stats/import", content=good, headers={
        **manager, "content-type": "text/csv"})
    assert imported.status_code == 200 and imported.json() == {"imported": 1}
