"""/console/suggestions: links advocates suggested, approved into the queue with a category
(and an optional caption) or rejected with a reason; each card's forms work as plain forms
(post/redirect/get) and as htmx swaps of the card."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.models import PointsEntry, Post, PostTopic
from app.models.enums import Category, PostStatus, Role
from tests.builders import Api, make_topic, make_user
from tests.web.pages import browser_of, csrf_of

HTMX = {"HX-Request": "true"}


async def _suggest(api: Api, *, title: str | None = "Why retros work",
                   note: str | None = "Our team loved this.") -> Post:
    async with api.db.transaction() as session:
        advocate = await make_user(session, name="Sam Suggester")
        topic = await make_topic(session, name="Culture")
        post = Post(url="https://example.net/retros", title=title, status=PostStatus.suggested,
                    suggested_by=advocate.id, suggestion_note=note, captions={})
        session.add(post)
        await session.flush()
        session.add(PostTopic(post_id=post.id, topic_id=topic.id))
        return post


async def _marketer(api: Api) -> str:
    await browser_of(api, Role.marketer)
    return csrf_of((await api.client.get("/console/suggestions")).text)


async def _stored(api: Api, post_id: str) -> Post:
    async with api.db.transaction() as session:
        post = await session.get(Post, post_id)
        assert post is not None
        return post


def _card(html: str, post_id: str) -> str:
    match = re.search(rf'<article class="card suggestion" id="suggestion-{post_id}".*?</article>',
                      html, re.S)
    assert match, "no card"
    return match.group(0)


async def test_no_suggestions_says_so(api: Api) -> None:
    await _marketer(api)
    html = (await api.client.get("/console/suggestions")).text
    assert "No suggestions are waiting for review." in html


async def test_a_card_shows_the_link_note_suggester_and_topics(api: Api) -> None:
    post = await _suggest(api)
    await _marketer(api)
    html = (await api.client.get("/console/suggestions")).text
    card = _card(html, post.id)
    assert '<a href="https://example.net/retros" rel="noopener noreferrer nofollow">' in card
    assert "Our team loved this." in card and "Suggested by Sam Suggester" in card
    assert '<span class="badge">Culture</span>' in card
    assert f'action="/console/suggestions/{post.id}/approve"' in card
    assert f'hx-post="/console/suggestions/{post.id}/approve" hx-target="closest article" ' \
           'hx-swap="outerHTML"' in card
    assert f'action="/console/suggestions/{post.id}/reject"' in card
    assert "1 suggestion is waiting for review." in html
    assert '<span class="badge badge--warning"><span class="visually-hidden">waiting: ' \
           '</span>1</span>' in html


async def test_approving_queues_it_with_its_category_and_caption(api: Api) -> None:
    post = await _suggest(api)
    token = await _marketer(api)
    response = await api.client.post(f"/console/suggestions/{post.id}/approve", data={
        "csrf_token": token, "category": "owned", "caption": "Worth a read."})
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/suggestions?approved={post.id}"
    stored = await _stored(api, post.id)
    assert stored.status == PostStatus.queued and stored.category == Category.owned
    assert stored.captions == {"default": "Worth a read."}
    async with api.db.transaction() as session:  # the suggester's points, as the API gives
        points = list(await session.scalars(select(PointsEntry.points)))
    assert points == [15]
    html = (await api.client.get(response.headers["location"])).text
    assert "Approved “Why retros work”: it is in the queue." in html
    assert f'href="/console?saved={post.id}#entry-{post.id}"' in html
    assert "No suggestions are waiting for review." in html


async def test_approving_without_a_caption_keeps_the_captions_empty(api: Api) -> None:
    post = await _suggest(api)
    token = await _marketer(api)
    await api.client.post(f"/console/suggestions/{post.id}/approve",
                          data={"csrf_token": token, "category": "curated", "caption": " "})
    stored = await _stored(api, post.id)
    assert stored.status == PostStatus.queued and stored.captions == {}


async def test_approving_through_htmx_swaps_the_card(api: Api) -> None:
    post = await _suggest(api)
    token = await _marketer(api)
    response = await api.client.post(f"/console/suggestions/{post.id}/approve",
                                     data={"csrf_token": token, "category": "curated"},
                                     headers=HTMX)
    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith(f'<article class="card suggestion" id="suggestion-{post.id}"')
    assert "<html" not in html
    assert 'role="status" tabindex="-1" data-focus-after-swap' in html
    assert "Approved “Why retros work”: it is in the queue." in html
    assert (await _stored(api, post.id)).category == Category.curated


async def test_rejecting_keeps_the_reason(api: Api) -> None:
    post = await _suggest(api)
    token = await _marketer(api)
    response = await api.client.post(f"/console/suggestions/{post.id}/reject",
                                     data={"csrf_token": token, "reason": "Behind a paywall."})
    assert response.status_code == 303
    assert response.headers["location"] == f"/console/suggestions?rejected={post.id}"
    stored = await _stored(api, post.id)
    assert stored.status == PostStatus.rejected and stored.review_note == "Behind a paywall."
    html = (await api.client.get(response.headers["location"])).text
    assert "Rejected “Why retros work”." in html and "Reason given: Behind a paywall." in html


async def test_rejecting_without_a_reason_is_refused_and_changes_nothing(api: Api) -> None:
    post = await _suggest(api)
    token = await _marketer(api)
    response = await api.client.post(f"/console/suggestions/{post.id}/reject",
                                      data={"csrf_token": token, "reason": "   "})
    assert response.status_code == 422
    card = _card(response.text, post.id)
    assert re.search(rf'<p class="field__error" id="s-{post.id}-reason-error">Give a reason',
                     card)
    assert "<html" in response.text  # the whole page, without JavaScript
    assert (await _stored(api, post.id)).status == PostStatus.suggested
    swapped = await api.client.post(f"/console/suggestions/{post.id}/reject",
                                    data={"csrf_token": token, "reason": ""}, headers=HTMX)
    assert swapped.status_code == 422 and "<html" not in swapped.text
    assert "Give a reason: the person who suggested the link will see it." in swapped.text
    assert (await _stored(api, post.id)).status == PostStatus.suggested


async def test_approving_without_a_category_is_refused(api: Api) -> None:
    post = await _suggest(api)
    token = await _marketer(api)
    response = await api.client.post(f"/console/suggestions/{post.id}/approve",
                                     data={"csrf_token": token, "caption": "Keep me"},
                                     headers=HTMX)
    assert response.status_code == 422
    assert "Choose a category." in response.text and ">Keep me</textarea>" in response.text
    assert (await _stored(api, post.id)).status == PostStatus.suggested


async def test_a_suggestion_reviewed_meanwhile_says_so(api: Api) -> None:
    post = await _suggest(api)
    token = await _marketer(api)
    await api.client.post(f"/console/suggestions/{post.id}/reject",
                          data={"csrf_token": token, "reason": "Off topic."})
    response = await api.client.post(f"/console/suggestions/{post.id}/approve",
                                     data={"csrf_token": token, "category": "curated"})
    assert response.status_code == 409
    assert "Someone has already reviewed this suggestion." in response.text
    stored = await _stored(api, post.id)
    assert stored.status == PostStatus.rejected and stored.category is None


async def test_a_suggestion_without_a_title_shows_its_link_and_escapes_text(api: Api) -> None:
    post = await _suggest(api, title=None, note="<script>alert(1)</script>")
    await _marketer(api)
    html = (await api.client.get("/console/suggestions")).text
    card = _card(html, post.id)
    assert re.search(r'<h2 class="suggestion__title" id="s-[^"]+">https://example.net/retros</h2>',
                     card)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card and "<script>alert" not in html


async def test_suggestions_in_thai(api: Api) -> None:
    await _suggest(api)
    await browser_of(api, Role.marketer)
    html = (await api.client.get("/console/suggestions",
                                 headers={"Accept-Language": "th"})).text
    assert "<h1>ลิงก์ที่เสนอ</h1>" in html
    assert "อนุมัติ" in html and "ปฏิเสธ" in html
