"""Visitor hashes (CONTRACT §4): HMAC-SHA256 of address and user agent under a salt that
lives one UTC day. Addresses are never stored; yesterday's salt is deleted, so a hash cannot
be linked to an address once its day is over."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database, after_commit, dialect_insert
from app.models import AdvocateVisitor, VisitorSalt


def visitor_hash(salt: str, address: str | None, user_agent: str | None) -> str:
    message = f"{address or '-'}\n{user_agent or ''}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


async def rotate(session: AsyncSession, day: date) -> str:
    """The salt of ``day`` (created once, whoever asks first); older salts are destroyed."""
    await session.execute(
        dialect_insert(session)(VisitorSalt).values(day=day, salt=secrets.token_urlsafe(48))
        .on_conflict_do_nothing(index_elements=["day"])
    )
    await session.execute(delete(VisitorSalt).where(VisitorSalt.day < day))
    return str(await session.scalar(select(VisitorSalt.salt).where(VisitorSalt.day == day)))


class Visitors:
    """The process's view of today's salt, and which advocates' hashes it already noted."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._day: date | None = None
        self._salt = ""
        self._lock = asyncio.Lock()
        self._noted: set[tuple[str, str]] = set()

    async def salt(self, now: datetime) -> tuple[date, str]:
        day = now.date()
        if self._day != day:
            async with self._lock:
                if self._day != day:
                    async with self._db.transaction() as session:
                        self._salt = await rotate(session, day)
                    self._day = day
                    self._noted.clear()
        return day, self._salt

    async def hash(self, now: datetime, address: str | None, user_agent: str | None
                   ) -> tuple[date, str]:
        day, salt = await self.salt(now)
        return day, visitor_hash(salt, address, user_agent)

    async def note_advocate(self, session: AsyncSession, *, user_id: str, now: datetime,
                            address: str | None, user_agent: str | None) -> None:
        """Remember that this user made an authenticated request from this visitor today,
        so that their own later clicks from it count as self-clicks."""
        day, hashed = await self.hash(now, address, user_agent)
        if (user_id, hashed) in self._noted:
            return
        await session.execute(
            dialect_insert(session)(AdvocateVisitor)
            .values(user_id=user_id, day=day, visitor_hash=hashed)
            .on_conflict_do_nothing()
        )
        key = (user_id, hashed)

        async def noted() -> None:
            self._noted.add(key)

        after_commit(session, noted)
