"""Conversions: attributed to the advocate whose tracked link brought the visitor."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.settings import emv_settings
from app.auth.tokens import SITE_KEY_PREFIX
from app.conversions.schemas import ConversionCreate, ConversionRead
from app.core.clock import utcnow
from app.core.db import dialect_insert, new_id
from app.core.errors import NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.gamification import service as gamification_service
from app.models import Click, Conversion, Share, SiteKey
from app.webhooks import events as webhook_events

SITE_KEY_ORDER = (SortKey(SiteKey.created_at, is_datetime=True), SortKey(SiteKey.id))


def to_read(conversion: Conversion) -> ConversionRead:
    return ConversionRead.model_validate(conversion, from_attributes=True)


async def _counted_click(session: AsyncSession, click_id: str) -> Any:
    """The share of a recorded click that is neither a bot's nor the advocate's own."""
    return (await session.execute(
        select(Share.id, Share.user_id, Share.post_id, Share.network)
        .join(Click, Click.share_id == Share.id)
        .where(Click.click_id == click_id, Click.bot.is_(False), Click.is_self.is_(False))
    )).first()


async def record(session: AsyncSession, *, data: ConversionCreate, source: str,
                 site_key_id: str | None = None) -> tuple[Conversion, bool]:
    """Store a conversion once per ``external_id``; a replay returns the first record.

    It is attributed when its click id names a recorded click that is neither a bot nor the
    advocate's own, of any age; otherwise it is kept unattributed.
    """
    existing = await session.scalar(
        select(Conversion).where(Conversion.external_id == data.external_id))
    if existing is not None:
        return existing, False
    share_id = advocate_id = post_id = network = None
    if data.click_id:
        row = await _counted_click(session, data.click_id)
        database = session.info.get("database")
        if (row is None and database is not None and database.projector is not None
                and await database.projector.settle(data.click_id)):
            # The click was logged and not yet processed: now it is, so ``attributed`` is
            # final (CONTRACT §4).
            row = await _counted_click(session, data.click_id)
        if row is not None:
            share_id, advocate_id, post_id, network = row
    currency = data.currency or (await emv_settings(session)).currency
    conversion_id = new_id()
    inserted = await session.scalar(
        dialect_insert(session)(Conversion).values(
            id=conversion_id, external_id=data.external_id, click_id=data.click_id,
            share_id=share_id, advocate_id=advocate_id, post_id=post_id, network=network,
            attributed=share_id is not None, type=data.type, value=data.value,
            currency=currency, occurred_at=data.occurred_at or utcnow(), created_at=utcnow(),
            source=source, site_key_id=site_key_id,
        ).on_conflict_do_nothing(index_elements=["external_id"]).returning(Conversion.id)
    )
    # A concurrent replay may have won the race: then its row is the record.
    conversion = await session.scalar(
        select(Conversion).where(Conversion.external_id == data.external_id))
    assert conversion is not None
    if inserted is not None:
        await webhook_events.conversion_created(session, conversion)
        await gamification_service.on_conversion(session, conversion)
    return conversion, inserted is not None


def new_site_key() -> str:
    return SITE_KEY_PREFIX + secrets.token_urlsafe(24)


async def create_site_key(session: AsyncSession, *, name: str, origins: Sequence[str]) -> SiteKey:
    key = SiteKey(name=name, key=new_site_key(), origins=sorted(set(origins)))
    session.add(key)
    await session.flush()
    return key


async def list_site_keys(session: AsyncSession, *, limit: int, cursor: str | None
                         ) -> tuple[list[SiteKey], str | None]:
    stmt = select(SiteKey).where(SiteKey.revoked_at.is_(None))
    rows = list(await session.scalars(keyset(stmt, SITE_KEY_ORDER, cursor, limit)))
    return page_of(rows, SITE_KEY_ORDER, limit)


async def revoke_site_key(session: AsyncSession, *, key_id: str) -> None:
    key = await session.scalar(
        select(SiteKey).where(SiteKey.id == key_id, SiteKey.revoked_at.is_(None)))
    if key is None:
        raise NotFound("No such site key.")
    key.revoked_at = utcnow()


async def active_site_key(session: AsyncSession, key: str) -> SiteKey | None:
    return await session.scalar(
        select(SiteKey).where(SiteKey.key == key, SiteKey.revoked_at.is_(None)))


async def origin_registered(session: AsyncSession, origin: str) -> bool:
    keys = await session.scalars(select(SiteKey.origins).where(SiteKey.revoked_at.is_(None)))
    return any(origin.lower() in origins for origins in keys)
