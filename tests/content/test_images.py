"""``GET /media/posts/{id}/image``: a post's image, fetched once through the SSRF-safe
fetcher and served by Chorus, so that pages load nothing from another origin (CONTRACT §8).

The image host is mocked with respx at the address the test's DNS table gives it (the
fetcher sends each request to the address it checked).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import respx
import time_machine
from fastapi import FastAPI
from sqlalchemy import delete

from app.content import images
from app.core.clock import utcnow
from app.models import Post, PostImage
from tests.builders import PASSWORD, Api, PostStatus, Role, make_post, make_topic
from tests.dns import fake_dns

PUBLIC = "93.184.216.34"
IMAGE_URL = "https://cdn.example.com/og/launch.png"
MOCKED = f"https://{PUBLIC}/og/launch.png"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
PNG_ETAG = '"1584c0e5090fae14090a69cf23d44c5937b8b4ac060421068d50bc8d45e21efc"'
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(8)
GIF = b"GIF89a\x01\x00\x01\x00" + bytes(4)
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L" + bytes(8)
AVIF = b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + bytes(8)
AVIF_COMPATIBLE = b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00avif" + bytes(8)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(8)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    return fake_dns(monkeypatch, {"cdn.example.com": [PUBLIC], "new.example.com": ["151.101.1.69"],
             "intranet.corp": ["10.0.0.7"]})


async def a_post(api: Api, *, image_url: str | None = IMAGE_URL, published: bool = True,
                 topic_ids: list[str] | None = None) -> str:
    async with api.db.transaction() as session:
        post = await make_post(session, image_url=image_url, topic_ids=topic_ids)
        if published:
            post.status = PostStatus.published
            post.published_at = utcnow()
    return post.id


async def stored(api: Api, post_id: str) -> PostImage | None:
    async with api.db.transaction() as session:
        return await session.get(PostImage, post_id)


def image_path(post_id: str) -> str:
    return f"/media/posts/{post_id}/image"


async def test_a_png_is_fetched_once_and_then_served_from_the_database(
        api: Api, respx_mock: respx.MockRouter) -> None:
    route = respx_mock.get(MOCKED).respond(200, content=PNG,
                                           headers={"Content-Type": "image/png"})
    post_id = await a_post(api)
    advocate = await api.headers()

    first = await api.client.get(image_path(post_id), headers=advocate)
    second = await api.client.get(image_path(post_id), headers=advocate)

    for response in (first, second):
        assert response.status_code == 200
        assert response.content == PNG
        assert response.headers["content-type"] == "image/png"
        assert response.headers["cache-control"] == "private, max-age=86400"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["content-security-policy"] == "default-src 'none'"
        assert response.headers["etag"] == PNG_ETAG
    assert route.call_count == 1
    assert route.calls.last.request.headers["host"] == "cdn.example.com"
    assert route.calls.last.request.headers["accept"] == (
        "image/png,image/jpeg,image/gif,image/webp,image/avif")
    row = await stored(api, post_id)
    assert row is not None
    assert (row.source_url, row.content_type, row.body, row.error) == (
        IMAGE_URL, "image/png", PNG, None)


async def test_a_cookie_session_may_read_the_image(
        api: Api, respx_mock: respx.MockRouter) -> None:
    """The pages' <img> requests carry the session cookie, not a bearer token."""
    respx_mock.get(MOCKED).respond(200, content=PNG, headers={"Content-Type": "image/png"})
    post_id = await a_post(api)
    await api.user(email="pages@corp.test")
    login = await api.client.post("/api/v1/auth/login", json={
        "email": "pages@corp.test", "password": PASSWORD})
    assert login.status_code == 200 and "chorus_session" in api.client.cookies

    response = await api.client.get(image_path(post_id))

    assert response.status_code == 200 and response.content == PNG


async def test_the_etag_answers_304_when_it_is_current(
        api: Api, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).respond(200, content=PNG, headers={"Content-Type": "image/png"})
    post_id = await a_post(api)
    advocate = await api.headers()
    await api.client.get(image_path(post_id), headers=advocate)

    for if_none_match in (PNG_ETAG, f"W/{PNG_ETAG}", f'"other", {PNG_ETAG}', "*"):
        again = await api.client.get(image_path(post_id),
                                     headers={**advocate, "If-None-Match": if_none_match})
        assert again.status_code == 304, if_none_match
        assert again.content == b""
        assert again.headers["etag"] == PNG_ETAG
        assert again.headers["cache-control"] == "private, max-age=86400"

    changed = await api.client.get(image_path(post_id),
                                   headers={**advocate, "If-None-Match": '"older"'})
    assert changed.status_code == 200 and changed.content == PNG


@pytest.mark.parametrize(("content_type", "body", "kind"), [
    ("image/jpeg", JPEG, "image/jpeg"),
    ("image/gif", GIF, "image/gif"),
    ("image/webp", WEBP, "image/webp"),
    ("image/avif", AVIF, "image/avif"),
    ("image/avif", AVIF_COMPATIBLE, "image/avif"),
    ("IMAGE/PNG; charset=binary", PNG, "image/png"),
    # Both say "an allowed image"; what is served is what the bytes are.
    ("image/png", JPEG, "image/jpeg"),
])
async def test_each_raster_type_is_served_as_what_its_bytes_are(
        api: Api, respx_mock: respx.MockRouter, content_type: str, body: bytes,
        kind: str) -> None:
    respx_mock.get(MOCKED).respond(200, content=body, headers={"Content-Type": content_type})
    post_id = await a_post(api)

    response = await api.client.get(image_path(post_id), headers=await api.headers())

    assert response.status_code == 200
    assert response.headers["content-type"] == kind and response.content == body


@pytest.mark.parametrize(("content_type", "body"), [
    ("image/svg+xml", SVG),
    ("text/html", HTML),
    ("image/png", HTML),          # the bytes are not an image
    ("image/png", SVG),
    ("text/html", PNG),           # the answer does not say it is an image
    ("application/octet-stream", PNG),
    (None, PNG),
    ("image/avif", HEIC),         # an ISO media file, but not AVIF
    ("image/heic", HEIC),
])
async def test_an_answer_that_is_not_an_allowed_image_is_404_and_not_fetched_again_within_the_hour(
        api: Api, respx_mock: respx.MockRouter, content_type: str | None, body: bytes) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    route = respx_mock.get(MOCKED).respond(200, content=body, headers=headers)
    post_id = await a_post(api)
    advocate = await api.headers()

    first = await api.client.get(image_path(post_id), headers=advocate)

    assert first.status_code == 404
    assert first.headers["content-type"] == "application/problem+json"
    assert first.json()["title"] == "No image"
    row = await stored(api, post_id)
    assert row is not None and row.body is None and row.content_type is None
    assert row.error is not None and row.source_url == IMAGE_URL

    with time_machine.travel(utcnow() + timedelta(minutes=59)):
        assert (await api.client.get(image_path(post_id), headers=advocate)).status_code == 404
    assert route.call_count == 1

    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        assert (await api.client.get(image_path(post_id), headers=advocate)).status_code == 404
    assert route.call_count == 2


async def test_a_failed_attempt_that_succeeds_an_hour_later_is_served(
        api: Api, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).mock(side_effect=[
        respx.MockResponse(503), respx.MockResponse(200, content=PNG,
                                                    headers={"Content-Type": "image/png"})])
    post_id = await a_post(api)
    advocate = await api.headers()

    assert (await api.client.get(image_path(post_id), headers=advocate)).status_code == 404
    row = await stored(api, post_id)
    assert row is not None and row.error == "the server answered 503"

    with time_machine.travel(utcnow() + timedelta(minutes=61)):
        later = await api.client.get(image_path(post_id), headers=advocate)
    assert later.status_code == 200 and later.content == PNG
    row = await stored(api, post_id)
    assert row is not None and row.error is None and row.body == PNG


async def test_an_image_too_large_is_404(api: Api, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).respond(200, content=PNG + bytes(5_000_000),
                                   headers={"Content-Type": "image/png"})
    post_id = await a_post(api)

    response = await api.client.get(image_path(post_id), headers=await api.headers())

    assert response.status_code == 404
    row = await stored(api, post_id)
    assert row is not None and row.error == "the answer is larger than 5000000 bytes"


async def test_a_changed_image_url_is_fetched_again(
        api: Api, respx_mock: respx.MockRouter) -> None:
    old = respx_mock.get(MOCKED).respond(200, content=PNG,
                                         headers={"Content-Type": "image/png"})
    new = respx_mock.get("https://151.101.1.69/hero.gif").respond(
        200, content=GIF, headers={"Content-Type": "image/gif"})
    post_id = await a_post(api)
    advocate = await api.headers()
    assert (await api.client.get(image_path(post_id), headers=advocate)).content == PNG

    edited = await api.client.patch(f"/api/v1/posts/{post_id}",
                                    headers=await api.headers(Role.marketer),
                                    json={"image_url": "https://new.example.com/hero.gif"})
    assert edited.status_code == 200
    response = await api.client.get(image_path(post_id), headers=advocate)

    assert response.status_code == 200
    assert response.content == GIF and response.headers["content-type"] == "image/gif"
    assert response.headers["etag"] != PNG_ETAG
    assert old.call_count == 1 and new.call_count == 1
    row = await stored(api, post_id)
    assert row is not None and row.source_url == "https://new.example.com/hero.gif"


async def test_a_post_the_caller_cannot_see_is_404(
        api: Api, respx_mock: respx.MockRouter) -> None:
    async with api.db.transaction() as session:
        followed, other = await make_topic(session), await make_topic(session)
    elsewhere = await a_post(api, topic_ids=[other.id])
    queued = await a_post(api, published=False)
    advocate = await api.headers(topic_ids=[followed.id])

    for post_id in (elsewhere, queued, "no-such-post"):
        response = await api.client.get(image_path(post_id), headers=advocate)
        assert response.status_code == 404, post_id
        assert response.json()["detail"] == "No such post."
    assert not respx_mock.calls
    assert await stored(api, elsewhere) is None


async def test_a_marketer_sees_a_queued_posts_image(
        api: Api, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).respond(200, content=PNG, headers={"Content-Type": "image/png"})
    queued = await a_post(api, published=False)

    response = await api.client.get(image_path(queued), headers=await api.headers(Role.marketer))

    assert response.status_code == 200 and response.content == PNG


async def test_an_anonymous_caller_is_401(api: Api, respx_mock: respx.MockRouter) -> None:
    post_id = await a_post(api)

    response = await api.client.get(image_path(post_id))

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert not respx_mock.calls


async def test_a_post_without_image_url_is_404(api: Api, respx_mock: respx.MockRouter) -> None:
    post_id = await a_post(api, image_url=None)

    response = await api.client.get(image_path(post_id), headers=await api.headers())

    assert response.status_code == 404
    assert response.json()["detail"] == "This post has no image."
    assert not respx_mock.calls and await stored(api, post_id) is None


async def test_an_image_url_on_a_private_address_is_refused(
        api: Api, respx_mock: respx.MockRouter) -> None:
    post_id = await a_post(api, image_url="http://intranet.corp/logo.png")

    response = await api.client.get(image_path(post_id), headers=await api.headers())

    assert response.status_code == 404
    assert not respx_mock.calls
    row = await stored(api, post_id)
    assert row is not None
    assert row.error == "intranet.corp resolves to an address that is not public"


async def test_an_image_url_on_a_private_address_is_fetched_when_allowed(
        api: Api, app: FastAPI, respx_mock: respx.MockRouter,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app.state, "settings", app.state.settings.model_copy(
        update={"allow_private_webhooks": True}))
    respx_mock.get("http://10.0.0.7/logo.png").respond(200, content=PNG,
                                                       headers={"Content-Type": "image/png"})
    post_id = await a_post(api, image_url="http://intranet.corp/logo.png")

    response = await api.client.get(image_path(post_id), headers=await api.headers())

    assert response.status_code == 200 and response.content == PNG


async def test_deleting_a_post_deletes_its_image(
        api: Api, respx_mock: respx.MockRouter) -> None:
    respx_mock.get(MOCKED).respond(200, content=PNG, headers={"Content-Type": "image/png"})
    post_id = await a_post(api)
    await api.client.get(image_path(post_id), headers=await api.headers())
    assert await stored(api, post_id) is not None

    async with api.db.transaction() as session:
        await session.execute(delete(Post).where(Post.id == post_id))

    assert await stored(api, post_id) is None


async def test_an_image_whose_post_was_deleted_meanwhile_is_not_kept(api: Api) -> None:
    fetched = images.Image(post_id="deleted-post", source_url=IMAGE_URL, fetched_at=utcnow(),
                           content_type="image/png", body=PNG, digest="d", fresh=True)

    await images.keep(api.db, fetched)

    assert await stored(api, "deleted-post") is None


async def test_the_route_is_documented_with_its_image_types(api: Api) -> None:
    document = (await api.client.get("/openapi.json")).json()

    operation = document["paths"]["/media/posts/{post_id}/image"]["get"]
    assert sorted(operation["responses"]["200"]["content"]) == [
        "image/avif", "image/gif", "image/jpeg", "image/png", "image/webp"]
    assert {"304", "401", "404"} <= set(operation["responses"])
