"""The advocate's feed with what a phone needs to share in one tap (CONTRACT §3): each post's
reserved ``native_url`` and whether a share would be accepted now (``can_share``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import service as content_service
from app.content.schemas import FeedItem
from app.core.clock import utcnow
from app.core.db import dialect_insert
from app.models import Share, ShareReservation, User
from app.models.enums import Network
from app.sharing import policy
from app.sharing.service import tracked_url
from app.tracking.links import new_code


async def native_codes(session: AsyncSession, *, user_id: str, post_ids: Sequence[str],
                       now: datetime) -> dict[str, str]:
    """Each post's code for the caller's ``native`` share: the share's when it exists, else a
    reservation, made here once per (advocate, post) and kept."""
    codes: dict[str, str] = {}
    if not post_ids:
        return codes
    for post_id, code in await session.execute(
        select(Share.post_id, Share.code).where(
            Share.user_id == user_id, Share.post_id.in_(post_ids),
            Share.network == Network.native)):
        codes[post_id] = code
    missing = [p for p in post_ids if p not in codes]
    reserved = dict((await session.execute(
        select(ShareReservation.post_id, ShareReservation.code).where(
            ShareReservation.user_id == user_id, ShareReservation.post_id.in_(missing))
    )).all()) if missing else {}
    to_reserve = [p for p in missing if p not in reserved]
    if to_reserve:
        drawn = {p: new_code() for p in to_reserve}
        taken = set(await session.scalars(select(Share.code).where(
            Share.code.in_(drawn.values()))))
        rows = [{"code": code, "user_id": user_id, "post_id": post_id, "created_at": now}
                for post_id, code in drawn.items() if code not in taken]
        if rows:
            # A concurrent feed of the same advocate may reserve first: its codes win.
            await session.execute(dialect_insert(session)(ShareReservation).values(rows)
                                  .on_conflict_do_nothing())
        reserved.update(dict((await session.execute(
            select(ShareReservation.post_id, ShareReservation.code).where(
                ShareReservation.user_id == user_id,
                ShareReservation.post_id.in_(to_reserve)))).all()))
    codes.update(reserved)
    return codes


async def feed(session: AsyncSession, *, user: User, topic_id: str | None, limit: int,
               cursor: str | None, base_url: str, tz: ZoneInfo
               ) -> tuple[list[FeedItem], str | None]:
    """Published, unexpired posts the caller can see, newest first, ready to share."""
    items, next_cursor = await content_service.feed(session, user=user, topic_id=topic_id,
                                                    limit=limit, cursor=cursor)
    now = utcnow()
    settings = await policy.sharing_settings(session)
    verdict = await policy.can_share(session, user=user, settings=settings, now=now, tz=tz)
    codes = (await native_codes(session, user_id=user.id, post_ids=[i.id for i in items],
                                now=now) if verdict.allowed else {})
    for item in items:
        item.can_share = verdict
        code = codes.get(item.id)
        item.native_url = tracked_url(base_url, code) if code else None
    return items, next_cursor
