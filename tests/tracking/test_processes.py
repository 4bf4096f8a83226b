"""The click pipeline across processes: ``chorus serve --workers 2`` behind one database
gives the counts and flags of one worker (CONTRACT §4: flags as if clicks were processed one
by one in commit order, once)."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import Database
from app.models import Click, PointsEntry, Share, ShareDay
from tests.databases import copy_of
from tests.tracking.projection_support import settled
from tests.tracking.test_durability import (
    CHORUS,
    CLICK_PARAM,
    _free_port,
    _seed,
    _stop,
    _wait_ready,
)

CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/{n}.0.0.0 Safari/537.36")
BOT = "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)"


def _visits() -> list[tuple[str, str]]:
    """(address, user agent) of each request, in order: repeat visitors, a bot, one address
    rotating user agents (the unique cap), people behind one address."""
    visits: list[tuple[str, str]] = []
    for round_ in range(3):
        for person in range(8):
            visits.append((f"198.51.100.{person}", CHROME.format(n=100 + person)))
        visits.append(("203.0.113.50", BOT))
        for agent in range(5):
            visits.append(("203.0.113.99", CHROME.format(n=200 + round_ * 5 + agent)))
    return visits


@contextlib.asynccontextmanager
async def _serving(db_url: str, cwd: Path, workers: int) -> AsyncIterator[str]:
    port = _free_port()
    log = cwd / f"serve-{workers}.log"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env = {**inherited, "CHORUS_DATABASE_URL": db_url, "CHORUS_CLICK_PARAM": CLICK_PARAM}
    with log.open("ab") as out:
        server = subprocess.Popen([CHORUS, "serve", "--port", str(port), "--workers",
                                   str(workers)], cwd=cwd, env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    try:
        await _wait_ready(server, f"http://127.0.0.1:{port}", log)
        yield f"http://127.0.0.1:{port}"
    finally:
        # Stopped as an operator stops it: uvicorn's supervisor then stops its workers
        # (a SIGKILL of the supervisor alone would leave them running, orphaned).
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            _stop(server)


async def _projected(db_url: str) -> tuple[list[tuple[bool, bool, bool]], tuple[int, ...]]:
    """Once everything is projected: each click's (bot, self, unique) in request order, and
    the share's totals (clicks, unique clicks, click points)."""
    await settled(db_url)
    db = Database(db_url)
    try:
        async with db.sessionmaker() as session:
            flags = [(c.bot, c.is_self, c.is_unique) for c in await session.scalars(
                select(Click).order_by(Click.occurred_at))]
            days = (await session.execute(select(
                func.sum(ShareDay.clicks), func.sum(ShareDay.unique_clicks)))).one()
            points = await session.scalar(select(func.sum(PointsEntry.points)).where(
                PointsEntry.kind == "click"))
        return flags, (int(days[0] or 0), int(days[1] or 0), int(points or 0))
    finally:
        await db.dispose()


async def _run(db_url: str, cwd: Path,
               workers: int) -> tuple[list[tuple[bool, bool, bool]], tuple[int, ...]]:
    code = await _seed(db_url)
    async with _serving(db_url, cwd, workers) as base:
        async with httpx.AsyncClient(base_url=base, follow_redirects=False, timeout=30) as client:
            for address, agent in _visits():
                response = await client.get(f"/s/{code}", headers={
                    "user-agent": agent, "x-forwarded-for": address})
                assert response.status_code == 302
        result = await _projected(db_url)
    db = Database(db_url)
    try:
        async with db.sessionmaker() as session:
            assert await session.scalar(select(func.count()).select_from(Share)) == 1
    finally:
        await db.dispose()
    return result


@pytest.mark.timeout_sensitive
async def test_two_workers_count_and_flag_clicks_as_one_does(db_url: str, template: str,
                                                             tmp_path: Path) -> None:
    one = await _run(db_url, tmp_path, workers=1)
    async with copy_of(template, tmp_path) as other_url:
        two = await _run(other_url, tmp_path, workers=2)
    assert one == two
    flags, totals = one
    # Worked out by hand from _visits(): 8 people, once unique each; the bot never counts;
    # the rotating address gives 3 unique clicks in all, however many agents it uses.
    assert len(flags) == len(_visits())
    assert sum(bot for bot, _, _ in flags) == 3
    assert totals == (len(_visits()) - 3, 8 + 3, (8 + 3) * 2)
