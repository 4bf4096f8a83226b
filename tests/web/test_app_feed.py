"""/app: the feed page (cards, topics, pages), the sharing policy shown before any share
control, and the daily cap said before the tap."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.models import PolicyAcceptance, Share, ShareReservation
from app.models.enums import Network
from tests.builders import Api, Role, make_topic
from tests.web.pages import browser_of, csrf_of, publish, sharing_settings

POLICY = {"version": "2026-1", "text": "Be kind.\nNever share client names."}


def cards(html: str) -> list[str]:
    return re.findall(r'<article class="card post-card" id="post-([^"]+)"', html)


def share_links(html: str) -> list[str]:
    return re.findall(r'href="(/app/share/[^"]+)"', html)


async def test_visitor_gets_the_login_form(api: Api) -> None:
    response = await api.client.get("/app")
    assert response.status_code == 200
    assert 'action="/login"' in response.text and 'name="next" value="/app"' in response.text
    assert "app-nav" not in response.text


async def test_empty_feed_greets_and_says_there_is_nothing_yet(api: Api) -> None:
    await browser_of(api, name="Ana Lima")
    response = await api.client.get("/app")
    assert response.status_code == 200
    assert "<h1>Hello Ana Lima</h1>" in response.text
    assert "Nothing to share here yet." in response.text
    assert response.headers["cache-control"] == "no-store"
    assert '<nav class="app-nav" aria-label="App">' in response.text
    assert '<a href="/app" aria-current="page">' in response.text


async def test_every_role_opens_the_feed(api: Api) -> None:
    for role in Role:
        await browser_of(api, role, name=f"A {role.value}")
        response = await api.client.get("/app")
        assert response.status_code == 200, role
        assert f"Hello A {role.value}" in response.text


async def test_card_shows_the_post_its_caption_and_its_share_controls(api: Api) -> None:
    await sharing_settings(api, disclosure="#employee")
    post = await publish(api, title="Our new office", summary="Bright and green.",
                         image_url="https://images.example/office.png",
                         captions={"default": "Come and see"})
    user, _ = await browser_of(api)
    html = (await api.client.get("/app")).text
    assert cards(html) == [post.id]
    assert '<a href="/app/posts/' + post.id + '">Our new office</a>' in html
    assert "Bright and green." in html
    assert (f'<img src="/media/posts/{post.id}/image" alt="" loading="lazy" width="600" '
            'height="314">') in html
    assert "images.example" not in html
    assert ('<p class="card__caption"><span data-caption-words>Come and see</span> '
            '<span class="caption__disclosure">#employee</span></p>') in html
    assert "is added at the end of every share and cannot be removed." in html
    links = share_links(html)
    assert [link.split("/")[4].split("?")[0] for link in links] == [
        "linkedin", "x", "facebook", "whatsapp", "email", "copy"]
    assert all(link.startswith(f"/app/share/{post.id}/") and "?t=" in link for link in links)
    async with api.db.transaction() as session:
        code = await session.scalar(select(ShareReservation.code).where(
            ShareReservation.user_id == user.id, ShareReservation.post_id == post.id))
    assert f'data-native-url="http://127.0.0.1:8000/s/{code}"' in html


async def test_caption_is_the_posts_own_default_caption(api: Api) -> None:
    await publish(api, title="Launch", captions={"default": "We launched!", "x": "Launch!"})
    await browser_of(api)
    html = (await api.client.get("/app")).text
    assert '<span data-caption-words>We launched!</span>' in html
    assert 'data-caption="We launched!"' in html and 'data-x-caption="Launch!"' in html
    # X gets its own caption: 7 characters and the link (23) with a space.
    assert "For X: 31 of 280 characters" in html


async def test_post_without_an_image_shows_none(api: Api) -> None:
    await publish(api, title="Plain")
    await browser_of(api)
    assert "<img" not in (await api.client.get("/app")).text


async def test_titles_and_captions_are_escaped(api: Api) -> None:
    post = await publish(api, title="<script>alert(1)</script>",
                         captions={"default": "<b>bold</b> & \"quoted\""})
    await browser_of(api)
    for path in ("/app", f"/app/posts/{post.id}"):
        html = (await api.client.get(path)).text
        assert "<script>alert(1)</script>" not in html, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, path
        assert "<b>bold</b>" not in html, path
        assert "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34;" in html, path


async def test_shared_on_marks_the_networks_already_used(api: Api) -> None:
    post = await publish(api)
    user, _ = await browser_of(api)
    async with api.db.transaction() as session:
        session.add(Share(code="Abcdefg1", user_id=user.id, post_id=post.id,
                          network=Network.linkedin, caption="x"))
    html = (await api.client.get("/app")).text
    assert '<div class="shared-on" data-shared-on>' in html
    assert '<li class="badge badge--success" data-network="linkedin">LinkedIn ✓</li>' in html


async def test_topics_the_viewer_follows_come_first_and_filter_the_feed(api: Api) -> None:
    async with api.db.transaction() as session:
        apps = await make_topic(session, name="Apps")
        zoo = await make_topic(session, name="Zoo")
    in_zoo = await publish(api, title="Zoo news", topic_ids=[zoo.id])
    in_both = await publish(api, title="Both", topic_ids=[apps.id, zoo.id])
    await browser_of(api, topic_ids=[zoo.id])
    html = (await api.client.get("/app")).text
    chips = re.findall(r'<a class="chip" href="(/app(?:\?topic=[^"]*)?)"', html)
    assert chips == ["/app", f"/app?topic={zoo.id}", f"/app?topic={apps.id}"]
    assert cards(html) == [in_both.id, in_zoo.id]
    filtered = (await api.client.get("/app", params={"topic": apps.id})).text
    assert cards(filtered) == [in_both.id]
    assert f'href="/app?topic={apps.id}" aria-current="page"' in filtered


async def test_an_unknown_topic_is_not_found(api: Api) -> None:
    await browser_of(api)
    response = await api.client.get("/app", params={"topic": "nope"},
                                    headers={"Accept": "text/html"})
    assert response.status_code == 404 and "Page not found" in response.text


async def test_more_posts_follows_the_feeds_cursor(api: Api) -> None:
    posts = [await publish(api, title=f"Post number {i}") for i in range(11)]
    await browser_of(api)
    first = (await api.client.get("/app")).text
    assert cards(first) == [p.id for p in reversed(posts)][:10]
    more = re.search(r'<div class="feed-more" id="more-([^"]+)">\s*<a [^>]*href="([^"]+)"', first)
    assert more and more.group(1) == posts[1].id
    href = more.group(2).replace("&amp;", "&")
    assert href.startswith("/app?cursor=")
    second = await api.client.get(href)
    assert cards(second.text) == [posts[0].id] and "feed-more" not in second.text
    assert "<html" in second.text
    # htmx asks for the next page alone, to put it in place of the link.
    fragment = await api.client.get(href, headers={"HX-Request": "true"})
    assert cards(fragment.text) == [posts[0].id] and "<html" not in fragment.text


async def test_the_policy_comes_before_any_share_control(api: Api) -> None:
    await sharing_settings(api, policy=POLICY)
    await publish(api, title="Wait for it")
    await browser_of(api)
    html = (await api.client.get("/app")).text
    assert '<section class="card policy" id="policy"' in html
    assert "Be kind.\nNever share client names." in html
    assert 'action="/app/policy"' in html and 'name="version" value="2026-1"' in html
    assert share_links(html) == [] and "data-share-native" not in html
    assert 'data-native-url=""' in html
    assert 'Accept the sharing policy to share. <a href="/app#policy">' in html


async def test_accepting_the_policy_brings_the_share_controls(api: Api) -> None:
    await sharing_settings(api, policy=POLICY)
    await publish(api)
    user, _ = await browser_of(api)
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post("/app/policy", data={"csrf_token": token,
                                                          "version": "2026-1"})
    assert response.status_code == 303 and response.headers["location"] == "/app"
    async with api.db.transaction() as session:
        accepted = list(await session.scalars(select(PolicyAcceptance.version).where(
            PolicyAcceptance.user_id == user.id)))
    assert accepted == ["2026-1"]
    html = (await api.client.get("/app")).text
    assert 'id="policy"' not in html and len(share_links(html)) == 6


async def _acceptances(api: Api) -> list[str]:
    async with api.db.transaction() as session:
        return list(await session.scalars(select(PolicyAcceptance.version)))


async def test_accepting_without_the_form_token_changes_nothing(api: Api) -> None:
    await sharing_settings(api, policy=POLICY)
    await browser_of(api)
    response = await api.client.post("/app/policy", data={"version": "2026-1"})
    assert response.status_code == 403 and "Form not accepted" in response.text
    assert await _acceptances(api) == []


async def test_accepting_from_another_site_changes_nothing(api: Api) -> None:
    await sharing_settings(api, policy=POLICY)
    await browser_of(api)
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post("/app/policy", data={"csrf_token": token,
                                                          "version": "2026-1"},
                                     headers={"Sec-Fetch-Site": "cross-site",
                                              "Origin": "https://evil.example"})
    assert response.status_code == 403
    assert await _acceptances(api) == []


async def test_accepting_an_old_version_says_the_policy_changed(api: Api) -> None:
    await sharing_settings(api, policy={"version": "2026-2", "text": "New rules."})
    await browser_of(api)
    token = csrf_of((await api.client.get("/app")).text)
    response = await api.client.post("/app/policy", data={"csrf_token": token,
                                                          "version": "2026-1"})
    assert response.status_code == 303
    assert response.headers["location"] == "/app?policy=changed#policy"
    assert await _acceptances(api) == []
    html = (await api.client.get("/app", params={"policy": "changed"})).text
    assert "The sharing policy changed while you were reading it." in html
    assert "New rules." in html


async def test_at_the_daily_cap_the_feed_says_why_before_the_tap(api: Api) -> None:
    await sharing_settings(api, daily_share_cap=1)
    shared, other = await publish(api), await publish(api)
    user, _ = await browser_of(api)
    async with api.db.transaction() as session:
        session.add(Share(code="Capped01", user_id=user.id, post_id=shared.id,
                          network=Network.x, caption="x"))
    html = (await api.client.get("/app")).text
    assert html.count("You've reached today's limit of 1 share. You can share again "
                      "tomorrow.") == 3  # the banner and both cards
    assert share_links(html) == [] and other.id in cards(html)


async def test_a_locked_caption_is_shown_as_written(api: Api) -> None:
    await publish(api, lock_caption=True, captions={"default": "Exactly this."})
    await browser_of(api)
    html = (await api.client.get("/app")).text
    assert "The marketing team asks that this text be shared as written." in html
    assert "<textarea" not in html and "Exactly this." in html
    assert len(share_links(html)) == 6


async def test_the_feed_in_thai(api: Api) -> None:
    await publish(api, title="ข่าว")
    user, _ = await browser_of(api, name="Somchai")
    response = await api.client.get("/app", headers={"Accept-Language": "th"})
    html = response.text
    assert '<html lang="th">' in html and "<h1>สวัสดี Somchai</h1>" in html
    assert "แชร์" in html and "Share on" not in html
    assert re.search(r'<time datetime="[^"]+">\d{1,2} [ก-๙.]+ \d{4}</time>', html)
