"""Scratch databases copied from the migrated template (see conftest)."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.core.db import click_log_path

PG_ENV = "CHORUS_TEST_DATABASE_URL"


def backend_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def pg_dsn(url: str, database: str) -> str:
    return make_url(url).set(drivername="postgresql", database=database).render_as_string(
        hide_password=False)


def pg_url(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


async def pg_admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(pg_dsn(url, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@asynccontextmanager
async def copy_of(template: str, directory: Path | None = None) -> AsyncIterator[str]:
    """A new database holding the template's schema; dropped (PostgreSQL) when done."""
    url = backend_url()
    if url is None:
        folder = directory or Path(tempfile.mkdtemp(prefix="chorus-test-"))
        path = folder / f"chorus-{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(template, path)
        # The click log's own file, migrated with the database.
        log_path = click_log_path(f"sqlite:///{template}")
        if log_path is not None and log_path.exists():
            shutil.copyfile(log_path, click_log_path(f"sqlite:///{path}") or path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = f"chorus_t_{uuid.uuid4().hex[:12]}"
    await pg_admin(url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield pg_url(url, name)
    finally:
        await pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def empty_database(directory: Path, label: str) -> Iterator[str]:
    """A database nothing has touched, on the current backend: a new SQLite file path, or a
    new empty PostgreSQL database (dropped afterwards)."""
    url = backend_url()
    if url is None:
        yield f"sqlite+aiosqlite:///{directory / f'{label}.db'}"
        return
    name = f"chorus_{label}_{uuid.uuid4().hex[:12]}"
    asyncio.run(pg_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        yield pg_url(url, name)
    finally:
        asyncio.run(pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
