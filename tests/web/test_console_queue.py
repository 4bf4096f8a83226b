"""/console: the queue in the publisher's order, why each post waits (with the 6-3-1 hold
explained and counted), the mix per topic and for the organisation, and "publish now".
Expected numbers are worked out by hand from CONTRACT §7."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from app.models import Post, Topic
from app.models.enums import Category, PostStatus, Role
from tests.builders import Api, make_user
from tests.content.desk import Desk, insert_queued
from tests.web.pages import browser_of, csrf_of

CUR, OWN, PRO = Category.curated, Category.owned, Category.promotional
LATER = datetime(2031, 3, 2, 9, 0, tzinfo=UTC)


def row(html: str, post_id: str) -> str:
    """The queue table's row of ``post_id``, tags removed and spaces collapsed."""
    match = re.search(rf'<tr id="entry-{post_id}".*?</tr>', html, re.S)
    assert match, f"no queue row for {post_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())


def rows(html: str) -> list[str]:
    return re.findall(r'<tr id="entry-([^"]+)"', html)


async def _marketer(api: Api) -> None:
    await browser_of(api, Role.marketer)


async def _title(api: Api, post_id: str, title: str) -> None:
    async with api.db.transaction() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        post.title = title


async def _suggestion(api: Api, title: str) -> str:
    async with api.db.transaction() as session:
        advocate = await make_user(session, name="Sam Suggester")
        post = Post(url="https://example.net/idea", title=title, status=PostStatus.suggested,
                    suggested_by=advocate.id, captions={})
        session.add(post)
        await session.flush()
        return post.id


async def test_an_empty_queue_says_so_and_shows_an_empty_mix(api: Api) -> None:
    await _marketer(api)
    response = await api.client.get("/console")
    assert response.status_code == 200
    html = response.text
    assert "The queue is empty" in html and rows(html) == []
    assert 'id="mix-organisation"' in html and "Curated 0/6" in html
    assert "No post is held by the mix." in html
    assert 'action="/console/publish"' in html


async def test_the_queue_lists_posts_in_publish_order_with_why_each_waits(api: Api) -> None:
    desk = await Desk.open(api)
    topic = await desk.topic()
    await desk.publish(PRO, [topic])
    ready = await desk.queue(CUR, [topic])
    held = await desk.queue(PRO, [topic])
    scheduled = await desk.queue(OWN, publish_at=LATER)
    suggested = await _suggestion(api, "An idea from the field")
    await _title(api, held, "Spring offer")
    await _marketer(api)
    html = (await api.client.get("/console")).text
    # The ready curated post goes first; then the held promotional one; then the one not
    # due yet; then the suggestion (CONTRACT §3 queue order).
    assert rows(html) == [ready, held, scheduled, suggested]
    assert row(html, ready).startswith("1 ")
    assert "Ready Goes out on the publisher's next run." in row(html, ready)
    # After a run publishes the ready curated post, the topic (and the organisation) reads
    # P C: eight more curated posts leave the promotional one out of the last nine.
    held_row = row(html, held)
    assert held_row.startswith("2 Spring offer")
    assert "Promotional" in held_row
    assert ("Held by the mix Held by the 6-3-1 rule: 8 more curated posts in Desk"
            in held_row)
    assert "already include a promotional post." in held_row
    assert "Scheduled Not due yet." in row(html, scheduled)
    assert "3/2/31, 9:00 AM" in row(html, scheduled)
    assert "Chosen on approval" in row(html, suggested)
    assert "A suggestion waiting for review." in row(html, suggested)


async def test_a_hold_by_the_organisations_window_names_no_topic(api: Api) -> None:
    desk = await Desk.open(api)
    for _ in range(4):
        await desk.publish(OWN)
    held = await desk.queue(OWN)
    await _marketer(api)
    text = row((await api.client.get("/console")).text, held)
    # The last nine read O O O O: one more owned post makes five owned in ten; six curated
    # posts leave three owned posts in the last nine.
    assert "Held by the 6-3-1 rule: 6 more curated posts would release it." in text
    assert ("The organisation's last ten posts already include four owned or promotional "
            "posts.") in text


async def test_one_curated_post_short_is_said_in_the_singular(api: Api) -> None:
    desk = await Desk.open(api)
    topic = await desk.topic()
    await desk.publish_all([(PRO, [topic])] + [(CUR, [topic])] * 8 + [(CUR, [])])
    held = await desk.queue(PRO, [topic])
    await _marketer(api)
    html = (await api.client.get("/console", params={"topic": topic})).text
    # The organisation's last nine are curated; the topic's still hold its promotional post.
    assert "Held by the 6-3-1 rule: 1 more curated post in Desk" in row(html, held)
    assert "1 curated post would release a held post." in html


async def test_the_topic_switch_narrows_the_queue_and_shows_the_topics_mix(api: Api) -> None:
    desk = await Desk.open(api)
    topic, other = await desk.topic(), await desk.topic()
    await desk.publish(PRO, [topic])
    held = await desk.queue(PRO, [topic])
    elsewhere = await desk.queue(CUR, [other], publish_at=LATER)
    await _marketer(api)
    whole = (await api.client.get("/console")).text
    assert rows(whole) == [held, elsewhere]
    assert 'id="mix-topic"' not in whole
    response = await api.client.get("/console", params={"topic": topic})
    html = response.text
    assert response.status_code == 200 and rows(html) == [held]
    assert f'<a href="/console?topic={topic}" hx-get="/console?topic={topic}" ' \
           f'hx-target="#queue-panel" hx-select="#queue-panel" hx-swap="outerHTML" ' \
           f'hx-push-url="true" aria-current="page">' in html
    topic_mix = re.search(r'<figure class="chart chart-mix" id="mix-topic">.*?</figure>', html,
                          re.S)
    assert topic_mix and "Promotional 1/1" in topic_mix.group(0)
    assert "9 curated posts would release a held post." in topic_mix.group(0)
    assert 'id="mix-organisation"' in html


async def test_an_unknown_topic_is_a_404_page(api: Api) -> None:
    await _marketer(api)
    response = await api.client.get("/console", params={"topic": "no-such-topic"})
    assert response.status_code == 404 and "Page not found" in response.text


async def test_a_long_queue_comes_in_pages(api: Api) -> None:
    await insert_queued(api.db, [(CUR, [], LATER)] * 51, LATER.replace(year=2030))
    await _marketer(api)
    first = (await api.client.get("/console")).text
    assert len(rows(first)) == 50
    more = re.search(r'<a class="button" href="/console\?cursor=([^"]+)">Next page', first)
    assert more
    second = (await api.client.get("/console", params={"cursor": more.group(1)})).text
    assert len(rows(second)) == 1
    assert row(second, rows(second)[0]).startswith("51 ")
    bad = await api.client.get("/console", params={"cursor": "not-ours"})
    assert bad.status_code == 422


async def test_publish_now_publishes_what_is_due_and_says_what(api: Api) -> None:
    desk = await Desk.open(api)
    due = await desk.queue(CUR)
    await _title(api, due, "Due and ready")
    later = await desk.queue(CUR, publish_at=LATER)
    await _marketer(api)
    token = csrf_of((await api.client.get("/console")).text)
    response = await api.client.post("/console/publish", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == f"/console?published={due}&count=1"
    async with api.db.transaction() as session:
        statuses = dict((await session.execute(select(Post.id, Post.status))).all())
    assert statuses == {due: PostStatus.published, later: PostStatus.queued}
    html = (await api.client.get(response.headers["location"])).text
    note = re.search(r'<div class="alert alert--success flash".*?</div>', html, re.S)
    assert note and "Published 1 post." in note.group(0) and "Due and ready" in note.group(0)
    again = await api.client.post("/console/publish", data={"csrf_token": token})
    assert again.headers["location"] == "/console?published=&count=0"
    html = (await api.client.get(again.headers["location"])).text
    assert "No post was published: none is due" in html


async def test_the_saved_note_says_where_a_post_landed_and_why_it_waits(api: Api) -> None:
    desk = await Desk.open(api)
    await desk.publish(PRO)
    held = await desk.queue(PRO)
    published = await desk.publish(CUR)
    await _marketer(api)
    html = (await api.client.get("/console", params={"saved": held})).text
    note = re.search(r'<div class="alert alert--warning flash".*?</div>', html, re.S)
    assert note
    text = " ".join(re.sub(r"<[^>]+>", " ", note.group(0)).split())
    assert "It is number 1 in the queue." in text
    # The organisation reads P C: eight more curated posts push P out of the last nine.
    assert "Held by the 6-3-1 rule: 8 more curated posts would release it." in text
    assert f'<tr id="entry-{held}" class="is-saved">' in html
    html = (await api.client.get("/console", params={"saved": published})).text
    assert "It is published: advocates see it in their feeds." in html


async def test_a_scripted_title_is_shown_as_text(api: Api) -> None:
    desk = await Desk.open(api)
    post = await desk.queue(CUR, publish_at=LATER)
    await _title(api, post, "<script>alert(1)</script>")
    await _marketer(api)
    html = (await api.client.get("/console", params={"saved": post})).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html


async def test_the_queue_in_thai(api: Api) -> None:
    desk = await Desk.open(api)
    await desk.queue(OWN, publish_at=LATER)
    for _ in range(4):
        await desk.publish(OWN)
    held = await desk.queue(OWN)
    await _marketer(api)
    response = await api.client.get("/console", headers={"Accept-Language": "th"})
    html = response.text
    assert response.headers["content-language"] == "th"
    assert "<h1>คิวโพสต์</h1>" in html
    assert "2/3/31 09:00 น." in html
    assert "ถูกกฎ 6-3-1 ระงับไว้: ต้องมีโพสต์คัดสรรอีก 6 โพสต์จึงจะปล่อยโพสต์นี้ได้" in row(html, held)


async def _followers(api: Api, topics: list[str], count: int) -> None:
    async with api.db.transaction() as session:
        for _ in range(count):
            await make_user(session, topic_ids=topics)


async def test_a_hold_by_an_advocates_feed_names_the_feed_and_its_advocates(api: Api) -> None:
    desk = await Desk.open(api)
    a, b, c = await desk.topic(), await desk.topic(), await desk.topic()
    async with api.db.transaction() as session:
        for topic_id, name in [(a, "Alpha"), (b, "Beta")]:
            topic = await session.get(Topic, topic_id)
            assert topic is not None
            topic.name = name
    await _followers(api, [a, b], 2)
    await desk.publish(PRO, [a])
    await desk.publish_all([(CUR, [c])] * 9)
    held = await desk.queue(PRO, [b])
    await _marketer(api)
    text = row((await api.client.get("/console")).text, held)
    # Beta is empty and the organisation's last nine are curated: only the feed of the two
    # advocates following Alpha and Beta, which reads P, holds it; nine curated posts would
    # push P out of that feed's last nine.
    assert ("Held by the 6-3-1 rule in advocates' feeds: 9 more curated posts in its topics "
            "would release it.") in text
    assert "The last ten posts of that feed already include a promotional post." in text
    assert "Held by the feed of 2 advocates following Alpha, Beta." in text


async def test_held_by_names_a_topics_sequence_or_the_organisations(api: Api) -> None:
    desk = await Desk.open(api)
    topic = await desk.topic()
    await _followers(api, [topic], 3)
    await desk.publish(PRO, [topic])
    await desk.publish_all([(CUR, [])] * 9)
    by_topic = await desk.queue(PRO, [topic])
    for _ in range(4):
        await desk.publish(OWN)
    by_org = await desk.queue(OWN)
    await _marketer(api)  # a second marketer who follows no topic
    html = (await api.client.get("/console")).text
    # The topic's three followers, and the two marketers who follow none, see its posts.
    assert "Held by the sequence of Desk" in row(html, by_topic)
    assert ", seen by 5 advocates." in row(html, by_topic)
    assert ("Held by the organisation's sequence, the feed of 2 advocates who follow no "
            "topic.") in row(html, by_org)


async def test_held_by_in_thai(api: Api) -> None:
    desk = await Desk.open(api)
    for _ in range(4):
        await desk.publish(OWN)
    held = await desk.queue(OWN)
    await _marketer(api)
    html = (await api.client.get("/console", headers={"Accept-Language": "th"})).text
    assert "ระงับไว้ตามลำดับโพสต์ขององค์กร ซึ่งเป็นฟีดของผู้สนับสนุน 2 คนที่ไม่ได้ติดตามหัวข้อใด" \
        in row(html, held)
