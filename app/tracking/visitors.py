"""Visitor hashes (CONTRACT §4): HMAC-SHA256 of address and user agent under a salt that
lives one UTC day. Addresses are never stored; yesterday's salt is deleted, so a hash cannot
be linked to an address once its day is over."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import secrets
from datetime import date, datetime, timedelta
from functools import lru_cache

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import Database, after_commit, dialect_insert
from app.models import AdvocateVisitor, VisitorSalt


def visitor_hash(salt: str, address: str | None, user_agent: str | None) -> str:
    message = f"{address or '-'}\n{user_agent or ''}".encode()
    return hmac.new(salt.encode(), message, hashlib.sha256).hexdigest()


@lru_cache(maxsize=65_536)
def _address_key(address: str) -> str | None:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def address_key(address: str | None) -> str | None:
    """What "one client address" means for the unique-click cap (CONTRACT §4): the IPv4
    address, or the /64 network of an IPv6 one (a household or phone gets a whole /64)."""
    return _address_key(address) if address else None


def address_hash(salt: str, address: str | None) -> str | None:
    key = address_key(address)
    if key is None:
        return None
    return hmac.new(salt.encode(), f"address\n{key}".encode(), hashlib.sha256).hexdigest()


async def rotate(session: AsyncSession, day: date) -> str:
    """The salt of ``day`` (created once, whoever asks first); the next day's is made ahead,
    so that the first redirects after midnight only read theirs; older salts are destroyed."""
    for salted in (day, day + timedelta(days=1)):
        await session.execute(
            dialect_insert(session)(VisitorSalt).values(day=salted,
                                                        salt=secrets.token_urlsafe(48))
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
        """The salt of ``now``'s UTC day. A redirect only reads it (made the day before by
        :func:`rotate`), so no transaction of the app's can make it wait; only when nobody
        made it yet is it written here."""
        day = now.date()
        if self._day != day:
            async with self._lock:
                if self._day != day:
                    async with self._db.engine.connect() as conn:
                        salt = await conn.scalar(
                            select(VisitorSalt.salt).where(VisitorSalt.day == day))
                    if salt is None:
                        async with self._db.transaction() as session:
                            salt = await rotate(session, day)
                    self._salt = str(salt)
                    self._day = day
                    self._noted.clear()
        return day, self._salt

    async def hash(self, now: datetime, address: str | None, user_agent: str | None
                   ) -> tuple[date, str]:
        day, salt = await self.salt(now)
        return day, visitor_hash(salt, address, user_agent)

    async def hashes(self, now: datetime, address: str | None, user_agent: str | None
                     ) -> tuple[date, str, str | None]:
        """The salt day, the visitor hash and the address hash of a request."""
        day, salt = await self.salt(now)
        return day, visitor_hash(salt, address, user_agent), address_hash(salt, address)

    async def note_advocate(self, session: AsyncSession, *, user_id: str, now: datetime,
                            address: str | None, user_agent: str | None) -> None:
        """Remember that this user made an authenticated request from this visitor today,
        so that their own later clicks from it count as self-clicks."""
        day, hashed = await self.hash(now, address, user_agent)
        if (user_id, hashed) in self._noted:
            return
        await session.execute(
            dialect_insert(session)(AdvocateVisitor)
            .values(user_id=user_id, day=day, visitor_hash=hashed, seen_at=now)
            .on_conflict_do_nothing()
        )
        key = (user_id, hashed)

        async def noted() -> None:
            self._noted.add(key)

        after_commit(session, noted)
