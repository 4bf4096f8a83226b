"""Scratch PostgreSQL databases for the benchmarks."""

from __future__ import annotations

from typing import Any

import asyncpg
from sqlalchemy.engine import URL


def connect_args(url: URL, database: str) -> dict[str, Any]:
    return {"user": url.username or "postgres", "password": url.password,
            "host": url.host or "127.0.0.1", "port": url.port or 5432, "database": database}


async def pg_admin(url: URL, sql: str) -> None:
    """One statement on the server's ``postgres`` database (CREATE/DROP DATABASE)."""
    connection = await asyncpg.connect(**connect_args(url, "postgres"))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()
