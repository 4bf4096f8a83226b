"""Test fixtures: every test gets its own migrated database and its own app.

The backend is SQLite unless ``CHORUS_TEST_DATABASE_URL`` names a PostgreSQL server; the
suite runs once per backend (``make test`` does both). The schema is migrated once per run
(which also tests the migrations) into a template, and each test gets a copy of it: a file
copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from app.core.config import Settings
from app.core.db import Database
from app.core.migrate import upgrade
from app.main import create_app
from tests.builders import Api

PG_ENV = "CHORUS_TEST_DATABASE_URL"
SECRET = "test-secret-key-that-is-long-enough-0123456789"


def backend_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def pytest_report_header() -> str:
    url = backend_url()
    return f"chorus backend: {'postgresql ' + url if url else 'sqlite'}"


def _pg_dsn(url: str, database: str) -> str:
    parsed = make_url(url).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database to copy: a file path (SQLite) or a database name (PostgreSQL)."""
    url = backend_url()
    if url is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        yield str(path)
        return
    import asyncio

    name = f"chorus_tpl_{os.getpid()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(_pg_dsn(url, "postgres"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}"'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    upgrade(make_url(url).set(database=name).render_as_string(hide_password=False))
    yield name
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def db_url(template: str, tmp_path: Path) -> AsyncIterator[str]:
    url = backend_url()
    if url is None:
        path = tmp_path / "chorus.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"chorus_t_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(_pg_dsn(url, "postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await conn.close()
    yield make_url(url).set(database=name).render_as_string(hide_password=False)
    conn = await asyncpg.connect(_pg_dsn(url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(_env_file=None, database_url=db_url, secret_key=SECRET)  # type: ignore[call-arg]


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings, run_jobs=False)
    yield application
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
