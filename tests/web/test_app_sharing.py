"""Sharing from /app without the share sheet: a card's signed network links (the share made
once, then on to the network's intent), "Copy link", the caption the advocate wrote, and the
API call the share sheet's script makes with the page's token."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import select

from app.content import service as content_service
from app.models import Post, Share, ShareReservation
from app.models.enums import Network
from tests.builders import Api, make_post
from tests.web.pages import browser_of, csrf_of, publish, sharing_settings

BASE = "http://127.0.0.1:8000"


async def shares(api: Api) -> list[tuple[str, str, str]]:
    async with api.db.transaction() as session:
        rows = await session.execute(select(Share.network, Share.caption, Share.code))
        return [(str(n), c, code) for n, c, code in rows]


async def link_to(api: Api, network: str, path: str = "/app") -> str:
    html = (await api.client.get(path)).text
    found = re.search(rf'href="(/app/share/[^/"]+/{network}\?[^"]+)"', html)
    assert found, f"no {network} link on {path}"
    return found.group(1).replace("&amp;", "&")


@pytest.fixture
async def post(api: Api) -> Post:
    await sharing_settings(api, disclosure="#employee", blocked_words=["guaranteed"])
    return await publish(api, title="Our launch", captions={"default": "We launched!"})


async def test_a_network_link_shares_and_goes_on_to_the_networks_intent(
        api: Api, post: Post) -> None:
    await browser_of(api)
    response = await api.client.get(await link_to(api, "linkedin"))
    assert response.status_code == 303
    [(network, caption, code)] = await shares(api)
    assert (network, caption) == ("linkedin", "We launched! #employee")
    assert response.headers["location"] == (
        "https://www.linkedin.com/sharing/share-offsite/?url="
        + quote(f"{BASE}/s/{code}", safe=""))


async def test_following_a_link_twice_shares_once(api: Api, post: Post) -> None:
    await browser_of(api)
    link = await link_to(api, "whatsapp")
    first, second = await api.client.get(link), await api.client.get(link)
    assert first.headers["location"] == second.headers["location"]
    assert first.headers["location"].startswith("https://wa.me/?text=We%20launched%21%20%23employee%20")
    assert len(await shares(api)) == 1


async def test_a_link_carries_the_advocates_own_words(api: Api, post: Post) -> None:
    await browser_of(api)
    link = await link_to(api, "x", f"/app/posts/{post.id}?caption=My+team+built+this")
    assert parse_qs(urlsplit(link).query)["caption"] == ["My team built this"]
    response = await api.client.get(link)
    [(network, caption, code)] = await shares(api)
    assert (network, caption) == ("x", "My team built this #employee")
    assert response.headers["location"] == (
        "https://x.com/intent/tweet?text=My%20team%20built%20this%20%23employee&url="
        + quote(f"{BASE}/s/{code}", safe=""))


async def test_a_blocked_word_is_named_and_nothing_is_shared(api: Api, post: Post) -> None:
    await browser_of(api)
    link = await link_to(api, "linkedin")
    response = await api.client.get(link + "&caption=Results+GUARANTEED+for+you")
    assert response.status_code == 422
    assert "Your caption contains the blocked word “guaranteed”. Please reword it." in response.text
    assert 'aria-invalid="true">Results GUARANTEED for you</textarea>' in response.text
    assert await shares(api) == []


async def test_a_locked_caption_cannot_be_reworded(api: Api) -> None:
    locked = await publish(api, lock_caption=True, captions={"default": "As written."})
    await browser_of(api)
    link = await link_to(api, "linkedin")
    response = await api.client.get(link + "&caption=My+own+take")
    assert response.status_code == 422
    assert "This post's caption is locked: share it as written." in response.text
    assert await shares(api) == []
    # The same words as the post's are no change at all.
    kept = await api.client.get(link + "&caption=As+written.")
    assert kept.status_code == 303 and locked.id in link


@pytest.mark.parametrize("tamper", ["missing", "wrong", "other network", "other session"])
async def test_a_link_not_signed_for_this_session_changes_nothing(
        api: Api, post: Post, tamper: str) -> None:
    await browser_of(api)
    link = await link_to(api, "linkedin")
    path, _, query = link.partition("?")
    match tamper:
        case "missing":
            link = path
        case "wrong":
            link = path + "?t=" + "0" * 32
        case "other network":
            link = path.replace("/linkedin", "/facebook") + "?" + query
        case "other session":
            await browser_of(api)  # another advocate, signed in in this browser
    response = await api.client.get(link)
    assert response.status_code == 403 and "Form not accepted" in response.text
    assert await shares(api) == []


async def test_a_link_followed_from_another_site_changes_nothing(api: Api, post: Post) -> None:
    await browser_of(api)
    response = await api.client.get(await link_to(api, "linkedin"),
                                     headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert await shares(api) == []


@pytest.mark.parametrize("network", ["native", "myspace"])
async def test_only_the_cards_networks_are_links(api: Api, post: Post, network: str) -> None:
    # native is the phone's share sheet: the page confirms it through the API instead.
    await browser_of(api)
    link = (await link_to(api, "linkedin")).replace("/linkedin?", f"/{network}?")
    response = await api.client.get(link, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert await shares(api) == []


async def test_a_link_to_a_post_that_left_the_feed_is_not_found(api: Api, post: Post) -> None:
    await browser_of(api)
    link = await link_to(api, "linkedin")
    async with api.db.transaction() as session:
        stored = await session.get(Post, post.id)
        assert stored is not None
        await content_service.archive(session, stored)
    response = await api.client.get(link, headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert await shares(api) == []


async def test_a_link_before_the_policy_is_accepted_says_so(api: Api, post: Post) -> None:
    await browser_of(api)
    link = await link_to(api, "linkedin")
    await sharing_settings(api, policy={"version": "v2", "text": "Rules."})
    response = await api.client.get(link)
    assert response.status_code == 409
    assert "Accept the sharing policy to share." in response.text
    assert await shares(api) == []


async def test_a_link_past_the_daily_cap_says_so(api: Api, post: Post) -> None:
    other = await publish(api)
    user, _ = await browser_of(api)
    link = await link_to(api, "linkedin", f"/app/posts/{post.id}")
    async with api.db.transaction() as session:
        session.add(Share(code="Capped01", user_id=user.id, post_id=other.id,
                          network=Network.x, caption="x"))
    await sharing_settings(api, daily_share_cap=1)
    response = await api.client.get(link)
    assert response.status_code == 429
    assert "You've reached today's limit of 1 share." in response.text
    assert len(await shares(api)) == 1


async def test_copy_link_shows_the_tracked_link_to_copy(api: Api, post: Post) -> None:
    await browser_of(api)
    response = await api.client.get(await link_to(api, "copy"))
    assert response.status_code == 303
    assert response.headers["location"] == f"/app/posts/{post.id}?copied=1#copied"
    page = await api.client.get(response.headers["location"])
    [(network, caption, code)] = await shares(api)
    assert network == "copy"
    assert f'<input id="copied-link" type="text" readonly value="{BASE}/s/{code}">' in page.text
    assert f'<textarea id="copied-caption" readonly rows="4">{caption}</textarea>' in page.text
    assert '<li class="badge badge--success" data-network="copy">Copied link ✓</li>' in page.text


async def test_use_my_caption_comes_back_with_links_that_carry_it(api: Api, post: Post) -> None:
    await browser_of(api)
    response = await api.client.get(f"/app/posts/{post.id}", params={"caption": "Proud of us"})
    assert response.status_code == 200
    html = response.text
    assert "<h1 class=\"card__title\"" in html and html.count("<h1") == 1
    assert '<details class="caption-editor" data-caption-editor open>' in html
    assert ">Proud of us</textarea>" in html
    links = re.findall(r'href="(/app/share/[^"]+)"', html)
    assert len(links) == 6 and all("caption=Proud+of+us" in link for link in links)
    assert re.search(r'data-native-url="http://127\.0\.0\.1:8000/s/\w+"', html)


async def test_a_refused_caption_hands_out_no_native_link(api: Api, post: Post) -> None:
    # The refused page is not committed: a reservation made for it would vanish.
    await browser_of(api)
    response = await api.client.get(f"/app/posts/{post.id}", params={"caption": "guaranteed!"})
    assert response.status_code == 422
    assert 'data-native-url=""' in response.text and "data-share-native" not in response.text
    assert "the blocked word “guaranteed”" in response.text
    async with api.db.transaction() as session:
        assert list(await session.scalars(select(ShareReservation.code))) == []


async def test_a_post_outside_the_viewers_feed_is_not_found(api: Api) -> None:
    async with api.db.transaction() as session:
        queued = await make_post(session, publish_at=None)
    await browser_of(api)
    response = await api.client.get(f"/app/posts/{queued.id}", headers={"Accept": "text/html"})
    assert response.status_code == 404


async def test_the_share_sheets_script_confirms_with_the_pages_token(
        api: Api, post: Post) -> None:
    # What app-share.js does after navigator.share() resolves: the API, the page's cookie
    # and its CSRF token, and the code the feed reserved.
    user, _ = await browser_of(api)
    html = (await api.client.get("/app")).text
    native_url = re.search(r'data-native-url="([^"]+)"', html)
    assert native_url
    response = await api.client.post(
        f"/api/v1/posts/{post.id}/shares", json={"network": "native", "caption": "Mine"},
        headers={"X-CSRF-Token": csrf_of(html)})
    assert response.status_code == 201
    assert response.json()["tracked_url"] == native_url.group(1)
    assert response.json()["caption"] == "Mine #employee"
