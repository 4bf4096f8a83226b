"""Test fixtures: every test gets its own migrated database and its own app.

The backend is SQLite unless ``CHORUS_TEST_DATABASE_URL`` names a PostgreSQL server; the
suite runs once per backend (``make test`` does both). The schema is migrated once per run
(which also tests the migrations) into a template, and each test gets a copy of it: a file
copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from fastapi import FastAPI
from starlette.types import Scope, Send

from app.core import fetch as fetch_module
from app.core.config import Settings
from app.core.db import Database
from app.core.fetch import IPAddress
from app.core.migrate import upgrade
from app.main import create_app
from tests.builders import Api
from tests.databases import backend_url, copy_of, pg_admin, pg_url
from tests.digests.support import SmtpSink, start_sink
from tests.jobs.runners import REDIS_URL, JobRunner

SECRET = "test-secret-key-that-is-long-enough-0123456789"


def pytest_report_header() -> str:
    url = backend_url()
    return f"chorus backend: {'postgresql ' + url if url else 'sqlite'}"


@pytest.fixture(autouse=True)
def no_dns(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never ask a real DNS server: jobs the suite triggers (a post's link preview,
    say) find every name unresolvable unless a test maps it (by patching ``resolve``
    again). ``localhost`` still resolves, for local servers."""
    real = fetch_module.resolve

    async def resolve(host: str, port: int) -> list[IPAddress]:
        if host == "localhost":
            return await real(host, port)
        raise OSError(f"no DNS in tests for {host}")

    monkeypatch.setattr(fetch_module, "resolve", resolve)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to copy: a file path (SQLite) or a database name (PostgreSQL)."""
    url = backend_url()
    if url is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        yield str(path)
        return
    name = f"chorus_tpl_{os.getpid()}"
    asyncio.run(pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(pg_admin(url, f'CREATE DATABASE "{name}"'))
    upgrade(pg_url(url, name))
    yield name
    asyncio.run(pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db_url(template: str, tmp_path: Path) -> AsyncIterator[str]:
    async with copy_of(template, tmp_path) as url:
        yield url


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET)  # type: ignore[call-arg]


class ProjectedLinks:
    """The app's tracked links, waiting after each click for its projection (flags, totals,
    points), which the app itself does right after the 302, within a second or so: tests
    then read the counts as a person would a moment later. Tests of the projection's own
    timing use the ``raw_app`` fixture."""

    def __init__(self, links: Any, projector: Any) -> None:
        self._links = links
        self._projector = projector

    def __getattr__(self, name: str) -> Any:
        return getattr(self._links, name)

    async def answer(self, code: str, scope: Scope) -> Any:
        answer = await self._links.answer(code, scope)
        if scope["method"] == "GET":
            await self._projector.catch_up()
        return answer

    async def __call__(self, scope: Scope, send: Send) -> None:
        await self._links(scope, send)
        if scope["method"] == "GET":
            await self._projector.catch_up()


@pytest.fixture
async def raw_app(settings: Settings) -> AsyncIterator[FastAPI]:
    """The app as it runs: a click's projection follows its 302 in the background."""
    application = create_app(settings, run_jobs=False)
    yield application
    await application.state.clicks.close()
    await application.state.db.dispose()


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, run_jobs=False)
    application.state.tracked_links = ProjectedLinks(application.state.tracked_links,
                                                     application.state.projector)
    yield application
    await application.state.clicks.close()
    await application.state.db.dispose()


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def api(client: httpx.AsyncClient, db: Database) -> Api:
    return Api(client, db)


@pytest.fixture
async def redis_pool() -> AsyncIterator[ArqRedis]:
    # Redis is a backend CI must exercise: unreachable Redis fails the test, never skips it.
    pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    yield pool
    await pool.aclose()


@pytest.fixture(params=["inline", "arq"])
async def job_runner(request: pytest.FixtureRequest, db: Database,
                     settings: Settings) -> AsyncIterator[JobRunner]:
    """Each test using it runs twice: jobs in-process, then on arq with Redis."""
    pool = None
    if request.param == "arq":
        pool = await create_pool(RedisSettings.from_dsn(REDIS_URL))
    runner = JobRunner(request.param, db, settings, pool)
    runner.install()
    yield runner
    await runner.close()
    if pool is not None:
        await pool.aclose()


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A real SMTP server on 127.0.0.1 that keeps every message it accepts."""
    sink, controller = start_sink()
    try:
        yield sink
    finally:
        controller.stop()
