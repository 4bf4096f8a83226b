"""Waiting for a running server's projector, from the outside (through the database)."""

from __future__ import annotations

import asyncio

import pytest

from app.core.db import Database
from app.tracking.projector import ClickProjector


async def pending(db_url: str) -> int:
    """Clicks logged and not yet projected."""
    db = Database(db_url)
    try:
        return await ClickProjector(db).pending()
    finally:
        await db.dispose()


async def settled(db_url: str, *, timeout: float = 30.0) -> None:
    """Return once every logged click is projected; fail after ``timeout`` seconds."""
    db = Database(db_url)
    try:
        projector = ClickProjector(db)
        for _ in range(int(timeout / 0.05)):
            if await projector.pending() == 0:
                return
            await asyncio.sleep(0.05)
        pytest.fail(f"the logged clicks were not projected within {timeout:g} s")
    finally:
        await db.dispose()


class holding_the_write_lock:
    """A transaction of another connection holding the main database's write lock (SQLite)
    or exclusive locks on the tables a click's projection writes (PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self._db = Database(url)

    async def __aenter__(self) -> None:
        self._conn = await self._db.engine.connect()
        if self._db.is_sqlite:
            await self._conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            await self._conn.exec_driver_sql(
                "LOCK TABLE click_projection, clicks, share_days, points_ledger, period_stats, "
                "users IN EXCLUSIVE MODE")

    async def __aexit__(self, *_exc: object) -> None:
        await self._conn.rollback()
        await self._conn.close()
        await self._db.dispose()
