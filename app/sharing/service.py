"""Shares: one per advocate, post and network, each with its own tracked link."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.content import service as content_service
from app.core.clock import utcnow
from app.core.db import dialect_insert, new_id
from app.core.errors import Conflict, Invalid, NotFound
from app.core.pagination import SortKey, keyset, page_of
from app.core.schemas import storable
from app.core.types import MAX_COUNT
from app.gamification import service as gamification_service
from app.models import Conversion, Post, Share, ShareDay, ShareReservation, StatsSnapshot, User
from app.models.enums import Network, PostStatus, Role
from app.sharing import policy
from app.sharing.intents import caption_for, share_url
from app.sharing.schemas import MyShare, ShareRead, StatsEntry
from app.tracking.links import new_code
from app.webhooks import events as webhook_events

MY_SHARES_ORDER = (SortKey(Share.created_at, descending=True, is_datetime=True),
                   SortKey(Share.id, descending=True))
_CODE_ATTEMPTS = 8


def tracked_url(base_url: str, code: str) -> str:
    return f"{base_url}/s/{code}"


def to_read(share: Share, *, base_url: str, title: str) -> ShareRead:
    url = tracked_url(base_url, share.code)
    return ShareRead(
        id=share.id, post_id=share.post_id, code=share.code, network=share.network,
        tracked_url=url, caption=share.caption, follower_count=share.follower_count,
        share_url=share_url(Network(share.network), tracked_url=url, caption=share.caption,
                            title=title),
        external_url=share.external_url, created_at=share.created_at,
    )


async def _by_key(session: AsyncSession, user_id: str, post_id: str,
                  network: Network) -> Share | None:
    return await session.scalar(select(Share).where(
        Share.user_id == user_id, Share.post_id == post_id, Share.network == network))


async def get_or_create(session: AsyncSession, *, user: User, post_id: str, network: Network,
                        now: datetime | None = None, caption: str | None = None,
                        code: str | None = None) -> tuple[Share, Post, bool]:
    """The caller's share of a post on a network: created once, the same one afterwards.

    No policy here (``share`` applies it): this is the bare record, for replaying history
    (the demo, with ``now``) and for a reserved ``code`` whose link was followed. Without a
    ``caption`` the network's caption (else the default one) is used, with the disclosure."""
    post = await content_service.get_for_user(session, post_id, user)
    existing = await _by_key(session, user.id, post.id, network)
    if existing is not None:
        return existing, post, False
    now = now or utcnow()
    if post.status != PostStatus.published or (post.expires_at and post.expires_at <= now):
        raise Conflict("Only published, unexpired posts can be shared.")
    if caption is None:
        settings = await policy.sharing_settings(session)
        caption = policy.with_disclosure(caption_for(post.captions or {}, network),
                                         settings.disclosure)
    followers = int((user.follower_counts or {}).get(network.value, 0))
    for _ in range(_CODE_ATTEMPTS):
        share_id = new_id()
        drawn = code or await _unreserved_code(session)
        # ON CONFLICT DO NOTHING covers both races: the same share created concurrently
        # (then we answer with that one) and a code collision (then we draw another code).
        inserted = await session.scalar(
            dialect_insert(session)(Share).values(
                id=share_id, code=drawn, user_id=user.id, post_id=post.id,
                network=network, caption=caption, follower_count=followers, created_at=now,
            ).on_conflict_do_nothing().returning(Share.id)
        )
        if inserted is not None:
            share = await session.get(Share, share_id)
            assert share is not None
            await webhook_events.share_created(session, share)
            await gamification_service.on_share_created(session, share)
            return share, post, True
        existing = await _by_key(session, user.id, post.id, network)
        if existing is not None:
            return existing, post, False
        code = None
    raise RuntimeError("could not draw an unused share code")


async def _unreserved_code(session: AsyncSession) -> str:
    """A fresh code that no reservation holds (shares' own codes are unique in the table)."""
    while True:
        code = new_code()
        if await session.get(ShareReservation, code) is None:
            return code


async def share(session: AsyncSession, *, user: User, post_id: str, network: Network,
                caption: str | None, tz: ZoneInfo) -> tuple[Share, Post, bool]:
    """Share a post as an advocate, within the organisation's sharing policy (CONTRACT §3):
    the caption (the advocate's own words unless the post is locked, no blocked word, the
    disclosure appended), the accepted policy and the daily cap for a new share. A share
    that exists answers as it is, with its caption updated when a new one is given."""
    post = await content_service.get_for_user(session, post_id, user)
    settings = await policy.sharing_settings(session)
    text = policy.caption_text(corporate=caption_for(post.captions or {}, network), own=caption,
                               locked=post.lock_caption, settings=settings)
    existing = await _by_key(session, user.id, post.id, network)
    if existing is not None:
        if caption is not None and existing.caption != text:
            existing.caption = text
            await session.flush()
        return existing, post, False
    now = utcnow()
    if post.status != PostStatus.published or (post.expires_at and post.expires_at <= now):
        raise Conflict("Only published, unexpired posts can be shared.")
    await policy.check_new_share(session, user=user, settings=settings, now=now, tz=tz)
    code = await reserved_code(session, user.id, post.id) if network == Network.native else None
    return await get_or_create(session, user=user, post_id=post.id, network=network,
                               caption=text, code=code, now=now)


async def reserved_code(session: AsyncSession, user_id: str, post_id: str) -> str | None:
    return await session.scalar(select(ShareReservation.code).where(
        ShareReservation.user_id == user_id, ShareReservation.post_id == post_id))


async def follow_reservation(session: AsyncSession, code: str) -> Share | None:
    """A reserved link followed before the page confirmed its share: the share is made now,
    with that code. The advocate was allowed to share when the link was handed out, and
    whoever follows it is a real reader of a real share, so neither cap nor policy applies."""
    reservation = await session.get(ShareReservation, code)
    if reservation is None:
        return None
    user = await session.get(User, reservation.user_id)
    if user is None:
        return None
    try:
        shared, _, _ = await get_or_create(session, user=user, post_id=reservation.post_id,
                                           network=Network.native, code=code)
    except (NotFound, Conflict):
        return None  # the post left the advocate's reach before its first reader came
    return shared if shared.code == code else None


async def get_owned_or_raise(session: AsyncSession, share_id: str, user: User,
                             *, managers_too: bool = False) -> Share:
    """The caller's own share (managers and admins may reach any when ``managers_too``)."""
    share = await session.get(Share, share_id)
    allowed = share is not None and (
        share.user_id == user.id
        or (managers_too and user.role in (Role.manager, Role.admin))
    )
    if share is None or not allowed:
        raise NotFound("No such share.")
    return share


async def set_external_url(session: AsyncSession, share: Share, url: str) -> Share:
    share.external_url = url
    await session.flush()
    return share


async def add_stats(session: AsyncSession, share: Share, entry: StatsEntry, *, source: str,
                    entered_by: str | None) -> StatsSnapshot:
    """A dated snapshot: KPIs read the newest one before their range's end (§3)."""
    snapshot = StatsSnapshot(share_id=share.id, taken_at=utcnow(), source=source,
                             entered_by=entered_by, **entry.model_dump())
    session.add(snapshot)
    await session.flush()
    return snapshot


STATS_COLUMNS = ("share_id", "impressions", "likes", "comments", "reshares")


async def import_stats(session: AsyncSession, text: str, *, entered_by: str) -> int:
    """CSV ``share_id,impressions,likes,comments,reshares``: every row, or none."""
    if not storable(text):
        raise Invalid("The CSV holds a NUL character or invalid Unicode.", loc=["body"])
    try:
        rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))
    except csv.Error as exc:
        raise Invalid(f"The file is not valid CSV: {exc}.", loc=["body"]) from exc
    errors: list[dict[str, object]] = []
    entries: list[tuple[int, str, StatsEntry]] = []
    for line, row in enumerate(rows, start=2):
        cells = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items()
                 if isinstance(v, str)}
        missing = [c for c in STATS_COLUMNS if c not in cells]
        if missing or None in row:
            errors.append({"loc": ["row", line], "msg": "needs exactly the columns "
                           + ",".join(STATS_COLUMNS)})
            continue
        numbers: dict[str, int] = {}
        for column in STATS_COLUMNS[1:]:
            value = cells[column]
            if not (value.isascii() and value.isdigit()) or int(value) > MAX_COUNT:
                errors.append({"loc": ["row", line, column],
                               "msg": f"must be a whole number from 0 to {MAX_COUNT}"})
            else:
                numbers[column] = int(value)
        if len(numbers) == 4:
            entries.append((line, cells["share_id"], StatsEntry(**numbers)))
    known = set(await session.scalars(
        select(Share.id).where(Share.id.in_({sid for _, sid, _ in entries})))) if entries else set()
    for line, share_id, _ in entries:
        if share_id not in known:
            errors.append({"loc": ["row", line, "share_id"], "msg": "unknown share id"})
    if errors:
        raise Invalid(f"{len(errors)} problem(s) in the CSV; nothing was imported.",
                      errors=errors)
    if not entries:
        raise Invalid("The CSV holds no rows.", loc=["body"])
    for _, share_id, entry in entries:
        session.add(StatsSnapshot(share_id=share_id, taken_at=utcnow(), source="import",
                                  entered_by=entered_by, **entry.model_dump()))
    await session.flush()
    return len(entries)


async def list_mine(session: AsyncSession, *, user: User, base_url: str, limit: int,
                    cursor: str | None) -> tuple[list[MyShare], str | None]:
    stmt = select(Share).where(Share.user_id == user.id)
    rows = list(await session.scalars(keyset(stmt, MY_SHARES_ORDER, cursor, limit)))
    shares, next_cursor = page_of(rows, MY_SHARES_ORDER, limit)
    ids = [s.id for s in shares]
    counts = await click_counts(session, ids)
    conversions = await conversion_counts(session, ids)
    titles = dict((await session.execute(
        select(Post.id, Post.title).where(Post.id.in_({s.post_id for s in shares}))
    )).all()) if shares else {}
    items = [
        MyShare(**to_read(s, base_url=base_url, title=titles.get(s.post_id) or "").model_dump(),
                clicks=counts[s.id][0], unique_clicks=counts[s.id][1],
                conversions=conversions[s.id])
        for s in shares
    ]
    return items, next_cursor


async def click_counts(session: AsyncSession, share_ids: Sequence[str]
                       ) -> dict[str, tuple[int, int]]:
    """(clicks, unique clicks) per share, in the reports' sense: not bots, not self. Read
    from the daily totals the recorder keeps, not by counting clicks."""
    counts: dict[str, tuple[int, int]] = defaultdict(lambda: (0, 0))
    if share_ids:
        for share_id, clicks, unique in await session.execute(
            select(ShareDay.share_id, func.sum(ShareDay.clicks), func.sum(ShareDay.unique_clicks))
            .where(ShareDay.share_id.in_(share_ids)).group_by(ShareDay.share_id)
        ):
            counts[share_id] = (int(clicks), int(unique))
    return counts


async def conversion_counts(session: AsyncSession, share_ids: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    if share_ids:
        for share_id, n in (await session.execute(
            select(Conversion.share_id, func.count())
            .where(Conversion.share_id.in_(share_ids), Conversion.attributed.is_(True))
            .group_by(Conversion.share_id)
        )):
            counts[str(share_id)] = n
    return counts
