"""``kill -9`` of ``chorus serve`` (a) right after the last 302 of a burst and (b) at random
moments after it, while the projector is working through the burst: after each restart
every click whose 302 was received is there, every derived number equals ``chorus audit``'s
recomputation, and no point is awarded twice (CONTRACT §4 durability, exactly once)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import ssl
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from app.analytics.audit import audit
from app.core.db import Database
from app.models import Click, PointsEntry, ShareDay
from tests.tracking.projection_support import holding_the_write_lock, pending, settled
from tests.tracking.test_durability import CLICK_PARAM, REQUEST_TIMEOUT, Server, _seed

ROUNDS = 8
BURST = 120
AGENT = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/{n}.0.0.0 Safari/537.36")


async def _burst(base: str, code: str, pid: int | None, kill_at: int, rng: random.Random
                 ) -> list[str]:
    """``BURST`` concurrent clicks from varied visitors (some repeat, some share an address),
    and with ``pid`` a SIGKILL right after the ``kill_at``-th 302 (the clicks after it fail,
    or are answered in the meantime); the click ids received."""
    received: list[str] = []
    tls = ssl.create_default_context()
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(httpx.AsyncClient(
            base_url=base, timeout=REQUEST_TIMEOUT, follow_redirects=False, verify=tls))
            for _ in range(BURST)]
        await asyncio.gather(*(client.get("/healthz") for client in clients))

        async def one(client: httpx.AsyncClient) -> None:
            visitor = rng.randrange(40)
            try:
                response = await client.get(f"/s/{code}", headers={
                    "user-agent": AGENT.format(n=100 + visitor),
                    "x-forwarded-for": f"198.51.100.{visitor % 7}"})
            except httpx.TransportError:
                return  # sent after the kill: never answered, nothing promised
            assert response.status_code == 302
            received.append(parse_qs(urlsplit(response.headers["location"]).query)
                            [CLICK_PARAM][0])
            if pid is not None and len(received) == kill_at:
                os.kill(pid, signal.SIGKILL)

        await asyncio.gather(*(one(client) for client in clients))
    return received


@pytest.mark.timeout_sensitive
async def test_kill_9_at_random_points_loses_nothing_and_counts_nothing_twice(
        db_url: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("CHORUS_KILL_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    code = await _seed(db_url)
    server = Server(db_url, tmp_path)
    received: list[str] = []
    left: list[int] = []  # clicks each kill left unprojected
    for round_ in range(ROUNDS):
        async with server.running() as (base, process):
            if round_ % 2 == 0:
                # (a) at once after the last 302, or at a random point of the burst.
                kill_at = BURST if round_ % 4 == 0 else rng.randrange(BURST // 4, BURST)
                received += await _burst(base, code, process.pid, kill_at, rng)
            else:
                # (b) in the middle of a projection batch: the burst is logged while another
                # transaction holds the database, then killed at a random moment after the
                # projector gets the database back and works through it.
                async with holding_the_write_lock(db_url):
                    received += await _burst(base, code, None, BURST, rng)
                await asyncio.sleep(rng.uniform(0.0, 0.06))
                os.kill(process.pid, signal.SIGKILL)
            assert process.wait(timeout=10) == -signal.SIGKILL
        left.append(await pending(db_url))

    async with server.running():  # the restart projects what the kills left in the log
        await settled(db_url)
        db = Database(db_url)
        try:
            report = await audit(db)
            async with db.sessionmaker() as session:
                stored = set(await session.scalars(select(Click.click_id)))
                keys = (await session.execute(select(
                    func.count(PointsEntry.event_key),
                    func.count(PointsEntry.event_key.distinct())))).one()
                counted = await session.scalar(select(func.sum(ShareDay.clicks)))
        finally:
            await db.dispose()
    assert set(received) <= stored, (f"seed {seed}: {len(set(received) - stored)} clicks "
                                     "received and lost")
    assert report.found == [], f"seed {seed}: " + "\n".join(map(str, report.found))
    assert keys[0] == keys[1], f"seed {seed}: a point awarded twice"
    print(f"seed {seed}: clicks each kill left to project: {left}")  # noqa: T201
    # The kills did land while clicks were still to be projected (else nothing was tested).
    assert any(left), f"seed {seed}: every kill came after the projection had finished"
    assert counted is not None and 0 < counted <= len(stored)
