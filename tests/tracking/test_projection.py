"""The click pipeline of issue 13: the redirect writes one log row; the projector decides
the flags and everything counted from them, right after, once (CONTRACT §4)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from sqlalchemy import func, select, text, update

from app.core.config import Settings
from app.core.db import Database, click_log_path
from app.main import create_app
from app.models import Click, ClickProjection, PointsEntry, ShareDay
from tests.builders import Api, Role, bearer
from tests.tracking.projection_support import holding_the_write_lock
from tests.tracking.test_router import CHROME, _share, _tomorrow_at


def _client(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


def _agent(n: int) -> str:
    return CHROME.replace("124.0.0.0", f"124.0.{n}.0")


async def _clicks(db: Database, share_id: str) -> Sequence[Click]:
    async with db.sessionmaker() as session:
        return list(await session.scalars(
            select(Click).where(Click.share_id == share_id).order_by(Click.seq)))


async def _click_points(db: Database, user_id: str) -> int:
    async with db.sessionmaker() as session:
        total = await session.scalar(select(func.sum(PointsEntry.points)).where(
            PointsEntry.user_id == user_id, PointsEntry.kind == "click"))
    return int(total or 0)


async def test_one_address_rotating_user_agents_earns_at_most_three_unique_clicks(
        app: FastAPI, api: Api) -> None:
    """The outside probe's scenario: 40 clicks on one's own link from one address, each
    with another user agent, were 40 unique clicks and 50 points."""
    with time_machine.travel(_tomorrow_at(12, 0), tick=False):
        share, _ = await _share(api.db)
        async with _client(app, "198.51.100.7") as client:
            for n in range(40):
                response = await client.get(f"/s/{share.code}",
                                            headers={"user-agent": _agent(n)})
                assert response.status_code == 302
        # Another address still counts: a few people behind one office address do.
        async with _client(app, "198.51.100.8") as client:
            await client.get(f"/s/{share.code}", headers={"user-agent": _agent(99)})
    clicks = await _clicks(api.db, share.id)
    assert len(clicks) == 41
    assert [c.is_unique for c in clicks] == [True] * 3 + [False] * 37 + [True]
    assert len({c.visitor_hash for c in clicks}) == 41
    assert await _click_points(api.db, share.user_id) == 4 * 2
    async with api.db.sessionmaker() as session:
        day = (await session.scalars(select(ShareDay).where(ShareDay.share_id == share.id))).one()
    assert (day.clicks, day.unique_clicks) == (41, 4)


async def test_an_ipv6_client_is_one_address_per_64_network(app: FastAPI, api: Api) -> None:
    with time_machine.travel(_tomorrow_at(12, 0), tick=False):
        share, _ = await _share(api.db)
        for n, address in enumerate(["2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ff::3",
                                     "2001:db8:1:2:abcd::4", "2001:db8:1:3::1"]):
            async with _client(app, address) as client:
                await client.get(f"/s/{share.code}", headers={"user-agent": _agent(n)})
    assert [c.is_unique for c in await _clicks(api.db, share.id)] == [
        True, True, True, False, True]


async def test_the_address_is_never_stored(app: FastAPI, api: Api, db_url: str) -> None:
    share, _ = await _share(api.db)
    async with _client(app, "198.51.100.77") as client:
        await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
    async with api.db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT * FROM clicks"))).all()
    assert rows and "198.51.100.77" not in repr(rows)
    log_path = click_log_path(db_url)
    if log_path is not None:
        assert b"198.51.100.77" not in log_path.read_bytes()


async def test_nothing_but_the_log_row_is_written_before_the_302(raw_app: FastAPI,
                                                                  db: Database) -> None:
    """With the projector held back, a redirect leaves one log entry and nothing else; the
    projection then adds the click, its daily total and its points, once."""
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=raw_app),
                                 base_url="http://testserver") as client:
        api = Api(client, raw_app.state.db)
        share, _ = await _share(api.db)
        projector = raw_app.state.projector
        projector.wake = lambda: None  # held back: the test projects by hand
        response = await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
        assert response.status_code == 302
        assert await projector.pending() == 1
        assert await _clicks(api.db, share.id) == []
        async with api.db.sessionmaker() as session:
            assert (await session.scalar(select(func.count()).select_from(ShareDay))) == 0
        assert await _click_points(api.db, share.user_id) == 0

        assert await projector.catch_up() == 1
        assert await projector.catch_up() == 0  # once
        assert await projector.pending() == 0
        clicks = await _clicks(api.db, share.id)
        assert [(c.bot, c.is_self, c.is_unique) for c in clicks] == [(False, False, True)]
        assert await _click_points(api.db, share.user_id) == 2


async def test_the_advocates_bearer_token_makes_a_self_click(app: FastAPI, api: Api) -> None:
    share, token = await _share(api.db)
    async with _client(app, "198.51.100.9") as client:
        await client.get(f"/s/{share.code}",
                         headers={"user-agent": _agent(1), **bearer(token)})
        _, someone = await api.user(Role.advocate)
        await client.get(f"/s/{share.code}", headers={"user-agent": _agent(2), **someone})
    assert [(c.is_self, c.is_unique) for c in await _clicks(api.db, share.id)] == [
        (True, False), (False, True)]


async def test_a_click_before_the_advocate_signs_in_from_that_browser_is_not_self(
        raw_app: FastAPI) -> None:
    """``self`` counts the advocate's authenticated requests up to the click's own time, even
    when the click is projected after a later one."""
    async with _client(raw_app, "198.51.100.10") as client:
        api = Api(client, raw_app.state.db)
        share, token = await _share(api.db)
        projector = raw_app.state.projector
        projector.wake = lambda: None
        before = await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
        assert before.status_code == 302
        await asyncio.sleep(0.01)
        me = await client.get("/api/v1/me", headers={"user-agent": CHROME, **bearer(token)})
        assert me.status_code == 200
        await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
        await projector.catch_up()
        flags = [(c.is_self, c.is_unique) for c in await _clicks(api.db, share.id)]
    assert flags == [(False, True), (True, False)]


@pytest.mark.parametrize("hold", ["user import", "write lock"])
async def test_a_redirect_never_waits_for_the_apps_transactions(
        app: FastAPI, api: Api, db_url: str, hold: str) -> None:
    """A redirect made while a long write holds the database answers 302 at once and its
    click is projected once the write is over."""
    share, _ = await _share(api.db)
    admin = await api.headers(Role.admin)
    lines = ["email,name,role,group"] + [f"p{i}@import.test,P {i},advocate,G{i % 7}"
                                         for i in range(6000)]
    async with _client(app, "198.51.100.11") as client:
        if hold == "user import":
            importing = asyncio.create_task(api.client.post(
                "/api/v1/users/import", content="\n".join(lines) + "\n",
                headers={**admin, "content-type": "text/csv"}))
            answers = []
            while not importing.done():
                answers.append((await client.get(f"/s/{share.code}",
                                                 headers={"user-agent": CHROME})).status_code)
                await asyncio.sleep(0)
            assert (await importing).status_code == 200
            assert answers and set(answers) == {302}
        else:
            # The day's first redirect makes the salt; this test is about the ones after.
            await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
            async with holding_the_write_lock(db_url):
                answer = await asyncio.wait_for(
                    app.state.tracked_links._links.answer(
                        share.code, {"method": "GET", "headers": [(b"user-agent", CHROME.encode())],
                                     "client": ("198.51.100.11", 1)}),
                    timeout=5)
                assert answer.status == 302
                answers = [302, 302]
            await app.state.projector.catch_up()
    assert len(await _clicks(api.db, share.id)) == len(answers)


async def test_a_database_copied_without_its_click_log_still_records_every_click(
        settings: Settings, db_url: str) -> None:
    """A restored or copied SQLite database without ``*.clicks.db``: the log is made again,
    empty, its ``seq`` going on from the projector's cursor (a lower one would be skipped).
    On PostgreSQL, where the log is a table of the database, a cursor left ahead of it
    skips nothing either."""
    log_path = click_log_path(db_url)
    if log_path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{log_path}{suffix}").unlink(missing_ok=True)
    db = Database(db_url)
    async with db.transaction() as session:
        await session.execute(update(ClickProjection).values(log_position=41))
    await db.dispose()
    application = create_app(settings, run_jobs=False)
    try:
        async with _client(application, "198.51.100.12") as client:
            share, _ = await _share(application.state.db)
            response = await client.get(f"/s/{share.code}", headers={"user-agent": CHROME})
            assert response.status_code == 302
        assert await application.state.projector.catch_up() == 1
        assert len(await _clicks(application.state.db, share.id)) == 1
    finally:
        await application.state.clicks.close()
        await application.state.db.dispose()
