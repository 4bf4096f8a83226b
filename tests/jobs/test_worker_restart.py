"""A worker killed in the middle of a job, then started again: the job still completes
(CONTRACT §9: jobs survive a restart of the worker). arq keeps the job in Redis until it
finishes; the killed worker's in-progress mark expires and the new worker runs it again."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from arq.connections import ArqRedis

from app.core.db import Database
from app.jobs.catalog import JOBS
from app.jobs.redis_queue import ArqJobs
from app.models import Post
from tests.builders import make_post
from tests.jobs.runners import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
PAGE = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n"
        b"<title>Back after the restart</title>")


class Server:
    """Answers nothing to the first request (the job hangs there) and a page afterwards."""

    def __init__(self) -> None:
        self.requests = 0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.requests += 1
        if self.requests == 1:
            await asyncio.sleep(60)
        writer.write(PAGE)
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    async with Server() as running:
        yield running


def start_worker(db_url: str, queue: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "CHORUS_DATABASE_URL": db_url, "CHORUS_REDIS_URL": REDIS_URL,
           "CHORUS_ALLOW_PRIVATE_WEBHOOKS": "true", "CHORUS_TEST_QUEUE": queue}
    return subprocess.Popen(
        [sys.executable, "-m", "arq", "tests.jobs.kill_worker.WorkerSettings"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_for(condition: object, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not done within {seconds} s")


async def test_a_worker_killed_mid_job_runs_it_again_after_a_restart(
        db: Database, db_url: str, redis_pool: ArqRedis, server: Server) -> None:
    async with db.transaction() as session:
        post = await make_post(session, url=f"http://127.0.0.1:{server.port}/launch",
                               title=None)
    queue = f"chorus:test:{uuid.uuid4().hex}"
    await ArqJobs(redis_pool, JOBS, queue=queue).enqueue("fetch_preview", post.id)

    async def title() -> str | None:
        async with db.transaction() as session:
            found = await session.get(Post, post.id)
            return found.title if found else None

    async def fetching() -> bool:
        return server.requests == 1

    first = start_worker(db_url, queue)
    try:
        await wait_for(fetching, 30)
    finally:
        first.kill()
        first.wait()
    assert await title() is None

    second = start_worker(db_url, queue)
    try:
        await wait_for(title, 60)
    finally:
        second.terminate()
        second.wait(10)
    assert await title() == "Back after the restart" and server.requests == 2
