"""A ``kill -9`` while clicks are being awarded loses nothing (issue: points survive a killed
process): points are written in the same transaction as the click that earns them."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from app.core.db import Database
from app.models import Click, PeriodStats, PointsEntry, Share, ShareDay
from tests.tracking.projection_support import settled
from tests.tracking.test_durability import BROWSER, Server, _seed

CLICKS = 20  # 2 points each: 40, under the daily cap of 50


@pytest.mark.timeout_sensitive
async def test_points_of_received_redirects_survive_kill_9(db_url: str,
                                                           tmp_path: Path) -> None:
    code = await _seed(db_url)
    server = Server(db_url, tmp_path)
    async with server.running() as (base, process):
        done = 0
        async with httpx.AsyncClient(base_url=base, follow_redirects=False,
                                     headers={"User-Agent": BROWSER}) as client:

            async def click(n: int) -> None:
                nonlocal done
                # Each visitor a different address (the server trusts its local proxy).
                response = await client.get(f"/s/{code}",
                                            headers={"X-Forwarded-For": f"198.51.100.{n}"})
                assert response.status_code == 302
                done += 1
                if done == CLICKS:
                    os.kill(process.pid, signal.SIGKILL)

            await asyncio.gather(*(click(n) for n in range(1, CLICKS + 1)))
        assert process.wait(timeout=10) == -signal.SIGKILL

    async with server.running():
        await settled(db_url)  # the restart projects what the kill left in the click log
        db = Database(db_url)
        try:
            async with db.sessionmaker() as session:
                share = await session.scalar(select(Share).where(Share.code == code))
                assert share is not None
                clicks = await session.scalar(select(func.count()).select_from(Click).where(
                    Click.share_id == share.id, Click.is_unique.is_(True)))
                awarded = (await session.execute(
                    select(func.count(), func.sum(PointsEntry.points))
                    .where(PointsEntry.share_id == share.id, PointsEntry.kind == "click"))).one()
                total = await session.scalar(select(PeriodStats).where(
                    PeriodStats.user_id == share.user_id, PeriodStats.period == "all"))
                day_points = await session.scalar(select(func.sum(ShareDay.click_points)).where(
                    ShareDay.share_id == share.id))
        finally:
            await db.dispose()
    assert clicks == CLICKS
    assert tuple(awarded) == (CLICKS, 2 * CLICKS)
    assert total is not None
    assert (total.points, total.clicks, total.shares) == (10 + 2 * CLICKS, CLICKS, 1)
    assert day_points == 2 * CLICKS
