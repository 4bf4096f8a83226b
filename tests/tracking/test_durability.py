"""CONTRACT §4 durability: once a client has received its 302, the click survives the server
process being killed (``kill -9``), because clicks are group-committed before the 302 leaves.

A real ``chorus serve`` runs as a subprocess on a scratch database of the current backend;
N redirects are fired concurrently, the process is SIGKILLed the instant the last 302
arrives, ``chorus serve`` is started again on the same database, and the clicks table must
hold exactly the N clicks whose ids the clients received. A second test does the same with a
lone click on an idle server, the case where a click committed after its 302 would be lost
(checked: a recorder that does not wait for its commit fails it on both backends).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from app.content import publisher
from app.core.db import Database
from app.models import Click, Share
from app.models.enums import Network
from app.sharing import service as sharing_service
from tests.builders import make_post, make_user
from tests.tracking.projection_support import settled

CHORUS = str(Path(sys.executable).with_name("chorus"))
CLICKS = 200
LONE_ROUNDS = 3
BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
           "Gecko) Chrome/126.0.0.0 Safari/537.36")
CLICK_PARAM = "chorus_cid"  # the default CHORUS_CLICK_PARAM; the server env pins it
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db_url: str, port: int, cwd: Path, log: Path) -> subprocess.Popen[bytes]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("CHORUS_")}
    env = {**inherited, "CHORUS_DATABASE_URL": db_url, "CHORUS_CLICK_PARAM": CLICK_PARAM}
    with log.open("ab") as out:
        return subprocess.Popen([CHORUS, "serve", "--port", str(port)], cwd=cwd, env=env,
                                stdout=out, stderr=subprocess.STDOUT)


async def _wait_ready(server: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient(base_url=base, timeout=2) as client:
        while True:
            try:
                # Our process's own log too: a free port can be taken by another server
                # between our probe and uvicorn's bind, and that one would answer too.
                if ((await client.get("/readyz")).status_code == 200
                        and "startup complete" in log.read_text(errors="replace")):
                    return
            except httpx.TransportError:
                pass
            if server.poll() is not None:
                pytest.fail(f"chorus serve exited with {server.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"chorus serve was not ready within {START_TIMEOUT}s:\n"
                            f"{log.read_text()}")
            await asyncio.sleep(0.1)


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.kill()
    server.wait(timeout=10)


async def _seed(db_url: str) -> str:
    """A user, a published post and the user's LinkedIn share of it; the share's code."""
    db = Database(db_url)
    try:
        async with db.transaction() as session:
            user = await make_user(session)
            post = await make_post(session)
            published = await publisher.run(session)
            assert [p.id for p in published] == [post.id]
            share, _, created = await sharing_service.get_or_create(
                session, user=user, post_id=post.id, network=Network.linkedin)
            assert created
            return share.code
    finally:
        await db.dispose()


async def _fire(base: str, code: str, server: subprocess.Popen[bytes], count: int, *,
                warm_up: bool = False) -> list[str]:
    """``count`` concurrent GETs; SIGKILL the server as soon as the last 302 is in. The click
    ids received (with ``warm_up``, first one more click, answered before the others start).

    Each request has its own client and connection, opened beforehand: one shared httpx
    pool of N connections costs O(N²) in the client, which would leave the last 302 unread
    for seconds and give the server all that time to commit, hiding a late commit."""
    received: list[httpx.Response] = []
    tls = ssl.create_default_context()  # unused on http://, but built once, not N times
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(httpx.AsyncClient(
                base_url=base, timeout=REQUEST_TIMEOUT, follow_redirects=False, verify=tls,
                headers={"User-Agent": BROWSER}))
            for _ in range(count)
        ]
        await asyncio.gather(*(client.get("/healthz") for client in clients))
        if warm_up:
            received.append(await clients[0].get(f"/s/{code}"))
            await asyncio.sleep(0.2)  # let the server go idle
        expected = len(received) + count

        async def one(client: httpx.AsyncClient) -> None:
            response = await client.get(f"/s/{code}")
            received.append(response)
            if len(received) == expected:
                os.kill(server.pid, signal.SIGKILL)  # not a moment later than the last 302

        await asyncio.gather(*(one(client) for client in clients))
    assert server.wait(timeout=10) == -signal.SIGKILL
    statuses = sorted({r.status_code for r in received})
    assert statuses == [302], statuses
    return [parse_qs(urlsplit(r.headers["location"]).query)[CLICK_PARAM][0] for r in received]


async def _stored_click_ids(db_url: str, code: str) -> list[str]:
    """The share's clicks once the running server has projected every logged click."""
    await settled(db_url)
    db = Database(db_url)
    try:
        async with db.sessionmaker() as session:
            share_id = await session.scalar(select(Share.id).where(Share.code == code))
            count = await session.scalar(
                select(func.count()).select_from(Click).where(Click.share_id == share_id))
            ids = list((await session.scalars(
                select(Click.click_id).where(Click.share_id == share_id))).all())
            assert count == len(ids)
            return ids
    finally:
        await db.dispose()


class Server:
    """``chorus serve`` on a free port, killed for sure when the block ends."""

    def __init__(self, db_url: str, cwd: Path) -> None:
        self.db_url = db_url
        self.cwd = cwd
        self.starts = 0

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
        self.starts += 1
        log = self.cwd / f"serve-{self.starts}.log"
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        process = _start(self.db_url, port, self.cwd, log)
        try:
            await _wait_ready(process, base, log)
            yield base, process
        finally:
            _stop(process)


@pytest.mark.timeout_sensitive
async def test_received_redirects_survive_kill_9(db_url: str, tmp_path: Path) -> None:
    code = await _seed(db_url)
    server = Server(db_url, tmp_path)
    async with server.running() as (base, process):
        click_ids = await _fire(base, code, process, CLICKS)
    assert len(set(click_ids)) == CLICKS

    async with server.running():  # the restart: recovery after kill -9 must succeed
        stored = await _stored_click_ids(db_url, code)

    assert len(stored) == CLICKS, f"{len(stored)} clicks stored, {CLICKS} 302s received"
    assert sorted(stored) == sorted(click_ids)


@pytest.mark.timeout_sensitive
async def test_a_lone_redirect_survives_kill_9(db_url: str, tmp_path: Path) -> None:
    """The sharper case: one click on an idle server, killed as soon as its 302 is in.

    In a burst the server still has other responses to write when the last click is handed
    over, so even a recorder that answered before committing would usually have committed by
    the time the last 302 reaches the client. Alone, the 302 is written at once, and a click
    committed after it would be lost."""
    code = await _seed(db_url)
    server = Server(db_url, tmp_path)
    received: list[str] = []
    for _ in range(LONE_ROUNDS):
        async with server.running() as (base, process):
            received += await _fire(base, code, process, 1, warm_up=True)
    assert len(received) == 2 * LONE_ROUNDS

    async with server.running():
        stored = await _stored_click_ids(db_url, code)

    assert sorted(stored) == sorted(received), (
        f"{len(stored)} clicks stored, {len(received)} 302s received; missing: "
        f"{sorted(set(received) - set(stored))}")
