"""Channels (CONTRACT §3 ``/channels``, admin): the Slack and Microsoft Teams incoming
webhooks that get the weekly channel digest.

A webhook URL is a secret (anyone holding it can post to the channel): it is stored
encrypted and only its host is shown. It must be an absolute https URL (http too when
``CHORUS_ALLOW_PRIVATE_WEBHOOKS`` allows on-premises receivers) whose host resolves to
public addresses only, unless private ones are allowed; the digest job checks again at each
delivery, through the SSRF-safe fetcher.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.config import Settings
from app.core.crypto import cipher_for
from app.core.db import dialect_insert, new_id
from app.core.destinations import check_destination
from app.core.errors import Conflict, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.digests.schemas import ChannelCreate
from app.models.digests import Channel

ORDER = (SortKey(Channel.created_at, is_datetime=True), SortKey(Channel.id))


async def checked_url(url: str, *, allow_private: bool) -> str:
    """The URL's host, once the URL is one we may post to; else 422."""
    return await check_destination(url, what="The webhook URL", allow_private=allow_private,
                                   schemes=("http", "https") if allow_private else ("https",))


def url_digest(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


async def create(session: AsyncSession, *, settings: Settings, data: ChannelCreate) -> Channel:
    """Register a channel; the same URL twice is 409."""
    host = await checked_url(data.url, allow_private=settings.allow_private_webhooks)
    cipher = await cipher_for(session, settings)
    channel_id = new_id()
    inserted = await session.execute(
        dialect_insert(session)(Channel).values(
            id=channel_id, kind=data.kind.value, name=data.name,
            url_encrypted=cipher.encrypt(data.url), url_digest=url_digest(data.url),
            host=host)
        .on_conflict_do_nothing())
    if not getattr(inserted, "rowcount", 0):
        raise Conflict("This webhook URL is already registered.")
    channel = await session.get(Channel, channel_id)
    assert channel is not None
    return channel


async def list_channels(session: AsyncSession, *, limit: int, cursor: str | None
                        ) -> tuple[list[Channel], str | None]:
    rows = list(await session.scalars(keyset(select(Channel), ORDER, cursor, limit)))
    return page_of(rows, ORDER, limit)


async def delete(session: AsyncSession, *, channel_id: str) -> None:
    channel = await session.get(Channel, channel_id)
    if channel is None:
        raise NotFound("No such channel.")
    await session.delete(channel)
