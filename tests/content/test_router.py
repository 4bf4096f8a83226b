from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine

from app.content import publisher
from app.core.clock import utcnow
from tests.builders import Api, Category, Role, make_post, make_topic
from tests.content.desk import Desk, insert_topic


async def test_marketer_queues_a_post(api: Api) -> None:
    async with api.db.transaction() as session:
        topic = await make_topic(session)
    marketer = await api.headers(Role.marketer)
    response = await api.client.post("/api/v1/posts", headers=marketer, json={
        "url": "https://example.com/a?x=1#top", "category": "owned", "topic_ids": [topic.id],
        "captions": {"default": "Read this", "x": "Short"}, "campaign": "spring",
    })
    assert response.status_code == 201
    post = response.json()
    assert post["status"] == "queued" and post["topic_ids"] == [topic.id]
    assert post["captions"]["default"] == "Read this" and post["captions"]["x"] == "Short"
    assert post["published_at"] is None and post["created_at"].endswith("Z")


async def test_post_url_must_be_absolute_http(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    for url in ["javascript:alert(1)", "/relative/path", "ftp://example.com/x", "data:text/html,x",
                "https://", "http//example.com"]:
        response = await api.client.post("/api/v1/posts", headers=marketer, json={
            "url": url, "category": "curated", "topic_ids": [], "captions": {"default": "x"}})
        assert response.status_code == 422, url


async def test_unknown_topic_in_body_is_422(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    response = await api.client.post("/api/v1/posts", headers=marketer, json={
        "url": "https://example.com", "category": "curated", "topic_ids": ["nope"],
        "captions": {"default": "x"}})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "topic_ids", 0]


async def test_topic_slug_is_derived_and_unique(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    first = await api.client.post("/api/v1/topics", headers=marketer,
                                  json={"name": "People & Culture"})
    assert first.json()["slug"] == "people-culture"
    again = await api.client.post("/api/v1/topics", headers=marketer,
                                  json={"name": "People, Culture"})
    assert again.status_code == 409


async def test_suggestion_review_flow_keeps_the_reason(api: Api) -> None:
    advocate_user, advocate = await api.user()
    marketer = await api.headers(Role.marketer)
    suggested = await api.client.post("/api/v1/suggestions", headers=advocate, json={
        "url": "https://example.org/great", "note": "Customers love it", "topic_ids": []})
    assert suggested.status_code == 201
    post = suggested.json()
    assert post["status"] == "suggested" and post["suggested_by"] == advocate_user.id
    assert post["note"] == "Customers love it" and post["category"] is None
    mine = await api.client.get(f"/api/v1/posts/{post['id']}", headers=advocate)
    assert mine.status_code == 200
    approved = await api.client.post(f"/api/v1/posts/{post['id']}/approve", headers=marketer,
                                     json={"category": "curated", "captions": {"default": "Go"}})
    assert approved.status_code == 200
    assert approved.json()["status"] == "queued" and approved.json()["category"] == "curated"
    twice = await api.client.post(f"/api/v1/posts/{post['id']}/reject", headers=marketer,
                                  json={"reason": "late"})
    assert twice.status_code == 409

    other = (await api.client.post("/api/v1/suggestions", headers=advocate, json={
        "url": "https://example.org/meh", "topic_ids": []})).json()
    rejected = await api.client.post(f"/api/v1/posts/{other['id']}/reject", headers=marketer,
                                     json={"reason": "Behind a paywall"})
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["review_note"] == "Behind a paywall"
    closed = await api.client.patch(f"/api/v1/posts/{other['id']}", headers=marketer,
                                    json={"title": "x"})
    assert closed.status_code == 409


async def test_others_suggestions_and_queued_posts_are_404_to_advocates(api: Api) -> None:
    _, author = await api.user()
    _, stranger = await api.user()
    suggestion = (await api.client.post("/api/v1/suggestions", headers=author, json={
        "url": "https://example.org/x", "topic_ids": []})).json()
    assert (await api.client.get(f"/api/v1/posts/{suggestion['id']}",
                                 headers=stranger)).status_code == 404
    async with api.db.transaction() as session:
        queued = await make_post(session)
    assert (await api.client.get(f"/api/v1/posts/{queued.id}", headers=stranger)).status_code == 404


async def test_published_posts_keep_category_topics_and_publish_time(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    async with api.db.transaction() as session:
        post = await make_post(session)
        await publisher.run(session)
    changed = await api.client.patch(f"/api/v1/posts/{post.id}", headers=marketer,
                                     json={"category": "promotional"})
    assert changed.status_code == 409
    retitled = await api.client.patch(f"/api/v1/posts/{post.id}", headers=marketer,
                                      json={"title": "Better title"})
    assert retitled.status_code == 200 and retitled.json()["title"] == "Better title"


async def test_archive_only_from_published(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    async with api.db.transaction() as session:
        queued = await make_post(session)
    refused = await api.client.post(f"/api/v1/posts/{queued.id}/archive", headers=marketer)
    assert refused.status_code == 409
    await api.client.post("/api/v1/publisher/run", headers=marketer)
    archived = await api.client.post(f"/api/v1/posts/{queued.id}/archive", headers=marketer)
    assert archived.status_code == 200 and archived.json()["status"] == "archived"


async def test_expires_before_publish_is_422(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    now = utcnow()
    response = await api.client.post("/api/v1/posts", headers=marketer, json={
        "url": "https://example.com", "category": "curated", "topic_ids": [],
        "captions": {"default": "x"}, "publish_at": (now + timedelta(days=2)).isoformat(),
        "expires_at": (now + timedelta(days=1)).isoformat()})
    assert response.status_code == 422


async def test_feed_shows_visible_live_posts_newest_first(api: Api) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        marketer = await api.headers(Role.marketer)
        async with api.db.transaction() as session:
            eng = await make_topic(session, name="Eng")
            hr = await make_topic(session, name="HR")
            eng_post = await make_post(session, topic_ids=[eng.id])
            hr_post = await make_post(session, topic_ids=[hr.id])
            both = await make_post(session, topic_ids=[eng.id, hr.id])
            expired = await make_post(session, topic_ids=[eng.id],
                                      expires_at=start + timedelta(hours=1))
            archived = await make_post(session, topic_ids=[eng.id])
        published = (await api.client.post("/api/v1/publisher/run", headers=marketer)).json()
        assert set(published["published"]) == {eng_post.id, hr_post.id, both.id, expired.id,
                                               archived.id}
        await api.client.post(f"/api/v1/posts/{archived.id}/archive", headers=marketer)
        _, early = await api.user()
        live = (await api.client.get("/api/v1/feed", headers=early)).json()
        assert {p["id"] for p in live["items"]} == {eng_post.id, hr_post.id, both.id,
                                                    expired.id}
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        _, engineer = await api.user(topic_ids=[eng.id])
        _, everyone = await api.user()
        feed = (await api.client.get("/api/v1/feed", headers=engineer)).json()
        ids = [p["id"] for p in feed["items"]]
        assert set(ids) == {eng_post.id, both.id}
        order = published["published"]
        assert ids == sorted(ids, key=order.index, reverse=True)
        assert all(p["shared_on"] == [] for p in feed["items"])
        all_feed = (await api.client.get("/api/v1/feed", headers=everyone)).json()
        assert {p["id"] for p in all_feed["items"]} == {eng_post.id, hr_post.id, both.id}
        hr_only = (await api.client.get("/api/v1/feed", headers=everyone,
                                        params={"topic_id": hr.id})).json()
        assert {p["id"] for p in hr_only["items"]} == {hr_post.id, both.id}


async def test_publisher_run_publishes_in_6_3_1_pick_order(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    start = utcnow() - timedelta(hours=1)
    async with api.db.transaction() as session:
        promo = await make_post(session, category=Category.promotional, publish_at=start)
        owned = await make_post(session, category=Category.owned, publish_at=start)
        curated_late = await make_post(session, category=Category.curated,
                                       publish_at=start + timedelta(minutes=5))
        curated_early = await make_post(session, category=Category.curated, publish_at=start)
    result = await api.client.post("/api/v1/publisher/run", headers=marketer)
    assert result.status_code == 200
    # Scores t·(m+1) − c: [] → curated 0.6; [C] → owned 0.6 (curated 0.2); [C, O] → curated
    # 0.8 (promotional 0.3); [C, O, C] → promotional, the only one left.
    assert result.json()["published"] == [curated_early.id, owned.id, curated_late.id, promo.id]
    posts = (await api.client.get("/api/v1/posts", headers=marketer,
                                  params={"order": "published_at"})).json()["items"]
    stamps = [p["published_at"] for p in posts]
    assert [p["id"] for p in posts] == result.json()["published"]
    assert stamps == sorted(stamps) and len(set(stamps)) == 4


async def test_queue_explains_what_holds_each_post(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    _, advocate = await api.user()
    now = utcnow()
    async with api.db.transaction() as session:
        await make_post(session, category=Category.promotional, publish_at=now - timedelta(days=1))
        await publisher.run(session)
        held = await make_post(session, category=Category.promotional,
                               publish_at=now - timedelta(hours=2))
        ready = await make_post(session, category=Category.curated,
                                publish_at=now - timedelta(hours=1))
        later = await make_post(session, category=Category.curated,
                                publish_at=now + timedelta(days=1))
    suggestion = (await api.client.post("/api/v1/suggestions", headers=advocate, json={
        "url": "https://example.org/s", "topic_ids": []})).json()
    queue = (await api.client.get("/api/v1/queue", headers=marketer)).json()
    rows = [(i["post"]["id"], i["position"], i["blocked_by"]) for i in queue["items"]]
    assert rows == [(ready.id, 1, None), (held.id, 2, "mix"), (later.id, 3, "schedule"),
                    (suggestion["id"], 4, "review")]
    assert queue["items"][2]["eligible_at"] == later.publish_at.isoformat().replace("+00:00", "Z")
    # After the ready curated post, the window holds 1 promotional + 1 curated: eight more
    # curated posts push the promotional one out of the last nine.
    assert queue["mix"]["needs"] == {"curated": 8}
    assert queue["next_cursor"] is None


async def test_mix_reports_last_ten_and_compliance(api: Api) -> None:
    marketer = await api.headers(Role.marketer)
    async with api.db.transaction() as session:
        topic = await make_topic(session)
        for category in [Category.curated] * 8 + [Category.owned] * 3:
            await make_post(session, category=category, topic_ids=[topic.id])
        await publisher.run(session)
    mix = (await api.client.get("/api/v1/mix", headers=marketer)).json()
    # Published C O C C O C C O C C C (each pick the category furthest behind, §7): the last
    # ten leave out the first curated post.
    assert mix == {"window": 10, "last": {"curated": 7, "owned": 3, "promotional": 0},
                   "compliant": True, "needs": {"curated": 0}}
    scoped = (await api.client.get("/api/v1/mix", headers=marketer,
                                   params={"topic_id": topic.id})).json()
    assert scoped["last"] == mix["last"]


async def test_a_post_in_two_topics_counts_in_both(api: Api) -> None:
    desk = await Desk.open(api)
    # Chosen ids fix the order of the post's topics: "a…" sorts before "b…".
    a, b = await insert_topic(api, "a" * 32), await insert_topic(api, "b" * 32)
    free = await desk.topic()
    await desk.publish(Category.promotional, [b, a])
    await desk.publish_all([(Category.curated, [])] * 9)  # the organisation's window moves on
    # Only the topics' windows still hold the promotional post: each holds its own queue.
    in_a = await desk.queue(Category.promotional, [a])
    in_b = await desk.queue(Category.promotional, [b])
    in_free_and_b = await desk.queue(Category.promotional, [free, b])
    in_free = await desk.queue(Category.promotional, [free])
    assert await desk.queue_rows() == [(in_free, None), (in_a, "mix"), (in_b, "mix"),
                                       (in_free_and_b, "mix")]
    assert await desk.run() == [in_free]
    # Topic b's window (and now the organisation's) needs nine curated posts.
    assert (await desk.mix(b))["needs"] == {"curated": 9}
