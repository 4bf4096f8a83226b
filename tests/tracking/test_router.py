"""``GET``/``HEAD /s/{code}`` end to end: the 302, the click and its flags (CONTRACT §4)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import select

from app.content import publisher
from app.core.clock import utcnow
from app.core.db import Database
from app.jobs.queue import NoJobs
from app.jobs.spec import JobContext
from app.models import Click, Share, VisitorSalt
from app.models.enums import Network
from app.sharing import service as sharing_service
from app.tracking import service as tracking_service
from app.tracking.jobs import rotate_salt
from tests.builders import Api, Role, make_post, make_topic, make_user, token_for

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")
IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")


async def _share(db: Database, *, url: str = "https://example.com/article?x=1#top",
                 campaign: str | None = None, topic_slug: str | None = None,
                 expires_at: datetime | None = None) -> tuple[Share, str]:
    """A published post shared on LinkedIn; returns the share and its advocate's token."""
    async with db.transaction() as session:
        topics = [(await make_topic(session, name=topic_slug)).id] if topic_slug else []
        post = await make_post(session, url=url, campaign=campaign, topic_ids=topics,
                               expires_at=expires_at)
        await publisher.run(session)
        advocate = await make_user(session)
        share, _, _ = await sharing_service.get_or_create(session, user=advocate,
                                                          post_id=post.id, network=Network.linkedin)
        token = await token_for(session, advocate)
    return share, token


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _clicks(db: Database, share_id: str) -> Sequence[Click]:
    async with db.transaction() as session:
        return list(await session.scalars(
            select(Click).where(Click.share_id == share_id).order_by(Click.occurred_at)))


async def test_redirect_adds_utm_and_click_id_and_records_the_click(api: Api) -> None:
    share, _ = await _share(api.db, topic_slug="Engineering")
    response = await api.client.get(f"/s/{share.code}", headers={
        "user-agent": CHROME, "referer": "https://www.linkedin.com/feed/"})
    assert response.status_code == 302
    assert response.headers["cache-control"] == "private, no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    location = urlsplit(response.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("https", "example.com",
                                                                 "/article")
    assert location.fragment == "top"
    params = dict(parse_qsl(location.query))
    assert params["x"] == "1" and params["utm_source"] == "linkedin"
    assert params["utm_medium"] == "employee_advocacy"
    assert params["utm_campaign"] == "engineering" and params["utm_content"] == share.code
    (click,) = await _clicks(api.db, share.id)
    assert params["chorus_cid"] == click.click_id
    assert (click.bot, click.is_self, click.is_unique) == (False, False, True)
    assert click.device == "desktop" and click.referrer_host == "www.linkedin.com"
    assert len(click.visitor_hash) == 64


async def test_the_marketers_campaign_and_utm_win(api: Api) -> None:
    share, _ = await _share(api.db, url="https://example.com/?utm_campaign=mine",
                            campaign="autumn")
    location = (await api.client.get(f"/s/{share.code}")).headers["location"]
    pairs = parse_qsl(urlsplit(location).query)
    assert [v for k, v in pairs if k == "utm_campaign"] == ["mine"]


async def test_query_parameters_sent_to_the_link_are_ignored_but_counted(api: Api) -> None:
    share, _ = await _share(api.db)
    response = await api.client.get(
        f"/s/{share.code}?url=https://evil.example/&next=//evil.example&utm_source=evil",
        headers={"user-agent": CHROME})
    location = response.headers["location"]
    assert urlsplit(location).netloc == "example.com"
    assert "evil" not in location
    assert len(await _clicks(api.db, share.id)) == 1


async def test_path_tricks_never_redirect_elsewhere(api: Api) -> None:
    share, _ = await _share(api.db)
    for path in [f"/s/{share.code}/..%2F..%2Fevil", "/s/%2F%2Fevil.example",
                 f"/s/{share.code}%0d%0aLocation:%20https://evil.example",
                 "/s/javascript:alert(1)", "/s/abc"]:
        response = await api.client.get(path)
        assert response.status_code == 404, path
        assert "location" not in response.headers


async def test_unknown_code_is_an_html_404_and_records_nothing(api: Api) -> None:
    share, _ = await _share(api.db)
    response = await api.client.get("/s/Zz9Zz9Zz9")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers
    assert await _clicks(api.db, share.id) == []


async def test_head_answers_the_same_headers_and_counts_nothing(api: Api) -> None:
    share, _ = await _share(api.db)
    response = await api.client.head(f"/s/{share.code}")
    assert response.status_code == 302
    assert response.headers["cache-control"] == "private, no-store"
    assert urlsplit(response.headers["location"]).netloc == "example.com"
    assert await _clicks(api.db, share.id) == []


async def test_a_bot_from_the_corpus_is_recorded_as_bot_and_never_unique(api: Api) -> None:
    share, _ = await _share(api.db)
    for agent in ["facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
                  "", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"]:
        assert (await api.client.get(f"/s/{share.code}",
                                     headers={"user-agent": agent})).status_code == 302
    prefetch = await api.client.get(f"/s/{share.code}",
                                    headers={"user-agent": CHROME, "sec-purpose": "prefetch"})
    assert prefetch.status_code == 302
    clicks = await _clicks(api.db, share.id)
    assert [c.bot for c in clicks] == [True] * 4
    assert not any(c.is_unique or c.is_self for c in clicks)
    assert {c.device for c in clicks} == {"bot"}


def _tomorrow_at(hour: int, minute: int) -> datetime:
    """A UTC time on tomorrow's date: later than anything the migrations wrote (rules take
    effect when written), and the same salt day for every click of a test."""
    return datetime.combine(utcnow().date() + timedelta(days=1), time(hour, minute), UTC)


async def _salts(db: Database) -> dict[date, str]:
    async with db.transaction() as session:
        return {row.day: row.salt for row in await session.scalars(select(VisitorSalt))}


async def test_two_clicks_from_one_visitor_on_one_day_make_one_unique(api: Api) -> None:
    with time_machine.travel(_tomorrow_at(12, 0), tick=False):
        share, token = await _share(api.db)
        for _ in range(2):
            await api.client.get(f"/s/{share.code}", headers={"user-agent": IPHONE})
        await api.client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
        clicks = await _clicks(api.db, share.id)
        mine = (await api.client.get("/api/v1/me/shares",
                                     headers={"authorization": f"Bearer {token}"})).json()
    assert [c.is_unique for c in clicks] == [True, False, True]
    assert clicks[0].visitor_hash == clicks[1].visitor_hash != clicks[2].visitor_hash
    assert clicks[0].device == "mobile"
    assert (mine["items"][0]["clicks"], mine["items"][0]["unique_clicks"]) == (3, 2)


async def test_one_user_agent_from_two_addresses_is_two_visitors(app: FastAPI,
                                                                 api: Api) -> None:
    with time_machine.travel(_tomorrow_at(12, 0), tick=False):
        share, _ = await _share(api.db)
        for address in ("198.51.100.1", "198.51.100.2", "198.51.100.1"):
            async with _client(app, address) as client:
                await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
        clicks = await _clicks(api.db, share.id)
    assert [c.is_unique for c in clicks] == [True, True, False]
    assert clicks[0].visitor_hash != clicks[1].visitor_hash
    assert clicks[0].visitor_hash == clicks[2].visitor_hash


async def test_unique_clicks_reset_with_the_next_salt_day_and_the_old_salt_is_destroyed(
        app: FastAPI, api: Api) -> None:
    """CONTRACT §4: the salt lives one UTC day ("unique" means unique per day), and once
    the day is over its salt is destroyed, so no hash can be linked to an address again."""
    before_midnight = _tomorrow_at(23, 58)
    first_day = before_midnight.date()
    next_day = first_day + timedelta(days=1)
    with time_machine.travel(before_midnight, tick=False) as clock:
        share, _ = await _share(api.db)
        for _ in range(2):
            await api.client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
        salts_of_first_day = await _salts(api.db)
        clock.move_to(datetime.combine(next_day, time(0, 0, 1), UTC))
        for _ in range(2):
            await api.client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
        # The midnight job destroys the old salt (redirects only read theirs).
        await rotate_salt(JobContext(db=api.db, settings=app.state.settings, jobs=NoJobs()))
        salts_of_next_day = await _salts(api.db)
        clicks = await _clicks(api.db, share.id)
    assert sorted(salts_of_first_day) == [first_day, next_day]  # the next one made ahead
    assert sorted(salts_of_next_day) == [next_day, next_day + timedelta(days=1)]
    assert salts_of_first_day[first_day] != salts_of_next_day[next_day]
    assert [(c.day, c.is_unique) for c in clicks] == [
        (first_day, True), (first_day, False), (next_day, True), (next_day, False)]
    assert clicks[0].visitor_hash == clicks[1].visitor_hash
    assert clicks[2].visitor_hash == clicks[3].visitor_hash != clicks[0].visitor_hash


async def test_the_advocates_own_session_makes_a_self_click(api: Api) -> None:
    share, token = await _share(api.db)
    api.client.cookies.set("chorus_session", token)
    response = await api.client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
    api.client.cookies.clear()
    assert response.status_code == 302
    (click,) = await _clicks(api.db, share.id)
    assert click.is_self and not click.is_unique and not click.bot


async def test_the_advocates_own_bearer_token_makes_a_self_click(api: Api) -> None:
    share, token = await _share(api.db)
    async with api.db.transaction() as session:
        colleague = await token_for(session, await make_user(session))
    for agent, credentials in ((CHROME, f"Bearer {token}"), (IPHONE, f"Bearer {colleague}"),
                               (CHROME + " x", f"Basic {token}")):
        response = await api.client.get(f"/s/{share.code}", headers={
            "user-agent": agent, "authorization": credentials})
        assert response.status_code == 302
    clicks = await _clicks(api.db, share.id)
    assert [(c.is_self, c.is_unique) for c in clicks] == [(True, False), (False, True),
                                                          (False, True)]


async def test_a_visitor_the_advocate_used_today_makes_a_self_click(app: FastAPI,
                                                                    api: Api) -> None:
    share, token = await _share(api.db)
    async with _client(app, "198.51.100.20") as office:
        me = await office.get("/api/v1/me", headers={"authorization": f"Bearer {token}",
                                                     "user-agent": CHROME})
        assert me.status_code == 200
        await office.get(f"/s/{share.code}", headers={"user-agent": CHROME})
    async with _client(app, "198.51.100.99") as stranger:
        await stranger.get(f"/s/{share.code}", headers={"user-agent": CHROME})
    own, other = await _clicks(api.db, share.id)
    assert own.is_self and not own.is_unique
    assert not other.is_self and other.is_unique


async def test_raw_addresses_are_never_stored(app: FastAPI, api: Api) -> None:
    share, _ = await _share(api.db)
    async with _client(app, "203.0.113.250") as client:
        await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
    async with api.db.engine.connect() as conn:
        rows = [str(r) for table in ("clicks", "advocate_visitors", "unique_visits")
                for r in (await conn.exec_driver_sql(f"SELECT * FROM {table}")).all()]
    assert rows and not any("203.0.113.250" in r for r in rows)


async def test_archived_posts_still_redirect(api: Api) -> None:
    share, _ = await _share(api.db)
    marketer = await api.headers(Role.marketer)
    archived = await api.client.post(f"/api/v1/posts/{share.post_id}/archive", headers=marketer)
    assert archived.status_code == 200
    assert (await api.client.get(f"/s/{share.code}")).status_code == 302


async def test_expired_posts_still_redirect_and_count_the_click(api: Api) -> None:
    """CONTRACT §3/§4: a published post past ``expires_at`` leaves the feeds, but its links
    keep redirecting, and the request is a click like any other."""
    now = utcnow()  # the expiry is in the past by every clock, the database's included
    with time_machine.travel(now - timedelta(days=3), tick=False):
        share, _ = await _share(api.db, url="https://example.com/offer?x=1",
                                expires_at=now - timedelta(days=1))
    viewer = await api.headers()
    feed = (await api.client.get("/api/v1/feed", headers=viewer)).json()["items"]
    assert share.post_id not in [item["id"] for item in feed]
    response = await api.client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert (location.netloc, location.path) == ("example.com", "/offer")
    params = dict(parse_qsl(location.query))
    assert params["x"] == "1" and params["utm_content"] == share.code
    (click,) = await _clicks(api.db, share.id)
    assert click.click_id == params["chorus_cid"]
    assert (click.bot, click.is_self, click.is_unique) == (False, False, True)


async def test_redirects_are_counted_in_the_metrics(api: Api) -> None:
    share, _ = await _share(api.db)
    for _ in range(2):
        assert (await api.client.get(f"/s/{share.code}")).status_code == 302
    assert (await api.client.get("/s/Zz9Zz9Zz9")).status_code == 404
    text = (await api.client.get("/metrics")).text
    assert 'chorus_http_requests_total{method="GET",route="/s/{code}",status="302"} 2.0' in text
    assert 'chorus_http_requests_total{method="GET",route="/s/{code}",status="404"} 1.0' in text


async def test_no_302_leaves_when_the_click_cannot_be_recorded(app: FastAPI, api: Api,
                                                                monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    share, _ = await _share(api.db)

    async def failing(_row: object) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(app.state.clicks, "record_row", failing)
    response = await api.client.get(f"/s/{share.code}")
    assert response.status_code == 500 and "location" not in response.headers
    assert response.headers["content-type"] == "application/problem+json"
    assert await _clicks(api.db, share.id) == []


async def test_a_burst_on_a_new_code_looks_it_up_once(app: FastAPI, api: Api,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    share, _ = await _share(api.db)
    lookups = arrived = 0
    everyone_asked = asyncio.Event()
    real = tracking_service.find_target
    targets = app.state.tracked_links._targets
    real_get = targets.get

    async def asking(code: str) -> Any:
        nonlocal arrived
        arrived += 1
        if arrived == 20:
            everyone_asked.set()
        return await real_get(code)

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal lookups
        lookups += 1
        await everyone_asked.wait()  # the whole burst asks while this lookup runs
        return await real(*args, **kwargs)

    monkeypatch.setattr(targets, "get", asking)
    monkeypatch.setattr(tracking_service, "find_target", counted)
    responses = await asyncio.gather(*[api.client.get(f"/s/{share.code}") for _ in range(20)])
    assert [r.status_code for r in responses] == [302] * 20
    assert lookups == 1
    assert len(await _clicks(api.db, share.id)) == 20
