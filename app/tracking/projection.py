"""Deciding clicks' flags and everything counted from them (CONTRACT §4, §5).

:func:`record_clicks` takes clicks as the redirect logged them, in recording order, and in
the caller's transaction decides ``self`` and ``unique`` (once: they never change), writes
the ``clicks`` rows with the order they were decided in (``seq``), adds them to the daily
share totals, and runs the hooks (points, badges) and the webhook events. The projector
calls it for each batch of the click log; the demo and tests call it directly.

It is synchronous SQLAlchemy, so that a batch on SQLite is one hop to a thread with its own
connection; on PostgreSQL it runs inside an async session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.bulk_insert import insert_rows
from app.core.db import insert_for, org_tz, table, time_ordered_ids
from app.models import (
    AddressVisit,
    AdvocateVisitor,
    AuthToken,
    Click,
    ClickProjection,
    ShareDay,
    UniqueVisit,
)
from app.webhooks import events as webhook_events

PROJECTION = "clicks"  # the name of the projector's cursor row
UNIQUE_PER_ADDRESS = 3  # CONTRACT §4: unique clicks per client address, share and salt day


@dataclass(frozen=True, slots=True)
class ClickDraft:
    """What the request tells about a click; ``self`` and ``unique`` are decided on write."""

    share_id: str
    advocate_id: str
    network: str
    post_id: str
    click_id: str
    occurred_at: datetime
    day: date
    visitor_hash: str
    device: str
    referrer_host: str | None
    bot: bool
    session_token_hash: str | None
    # HMAC of the client address (IPv4, or an IPv6 /64) under the day's salt.
    address_hash: str | None = None


@dataclass(frozen=True, slots=True)
class RecordedClick:
    """A click as written, flags decided: what the hooks (points, totals) see."""

    id: str
    click_id: str
    share_id: str
    advocate_id: str
    network: str
    post_id: str
    occurred_at: datetime
    bot: bool
    is_self: bool
    is_unique: bool

    @property
    def counted(self) -> bool:
        return not self.bot and not self.is_self


ClickHook = Callable[[Session, Sequence[RecordedClick]], None]
_CLICKS = table(Click)
_VISITS = table(UniqueVisit)
_SHARE_DAYS = table(ShareDay)
# Built once: constructing a statement costs more than running it on the hot path.
_SESSION_OWNERS = select(AuthToken.token_hash, AuthToken.user_id, AuthToken.expires_at).where(
    AuthToken.token_hash.in_(bindparam("hashes", expanding=True)))
_ADVOCATE_VISITORS = select(
    AdvocateVisitor.user_id, AdvocateVisitor.day, AdvocateVisitor.visitor_hash,
    AdvocateVisitor.seen_at,
).where(tuple_(AdvocateVisitor.user_id, AdvocateVisitor.day, AdvocateVisitor.visitor_hash)
        .in_(bindparam("keys", expanding=True)))


@lru_cache
def _insert_first_visits(dialect: str) -> Any:
    return (insert_for(dialect)(_VISITS).on_conflict_do_nothing()
            .returning(_VISITS.c.share_id, _VISITS.c.day, _VISITS.c.visitor_hash))


_ADDRESS_COUNTS = select(
    AddressVisit.share_id, AddressVisit.day, AddressVisit.address_hash, AddressVisit.uniques,
).where(tuple_(AddressVisit.share_id, AddressVisit.day, AddressVisit.address_hash)
        .in_(bindparam("keys", expanding=True)))
_NEXT_SEQ = (update(ClickProjection).where(ClickProjection.name == PROJECTION)
             .values(projected=ClickProjection.projected + bindparam("n"))
             .returning(ClickProjection.projected))


@lru_cache
def _count_address_uniques(dialect: str) -> Any:
    upsert = insert_for(dialect)(table(AddressVisit))
    return upsert.on_conflict_do_update(
        index_elements=["share_id", "day", "address_hash"],
        set_={"uniques": upsert.excluded.uniques})


@lru_cache
def _add_daily_counts(dialect: str) -> Any:
    upsert = insert_for(dialect)(_SHARE_DAYS)
    return upsert.on_conflict_do_update(index_elements=["share_id", "day"], set_={
        "clicks": _SHARE_DAYS.c.clicks + upsert.excluded.clicks,
        "unique_clicks": _SHARE_DAYS.c.unique_clicks + upsert.excluded.unique_clicks,
    })


def _self_clicks(conn: Connection, drafts: Sequence[ClickDraft]) -> set[str]:
    """Click ids made by the sharing advocate: their own session cookie or bearer token
    (valid at the click's time), or a visitor hash they used in an authenticated request
    during the salt day, up to the click's own time."""
    own: set[str] = set()
    hashes = {d.session_token_hash for d in drafts if d.session_token_hash}
    if hashes:
        owners = {token: (user_id, expires) for token, user_id, expires
                  in conn.execute(_SESSION_OWNERS, {"hashes": list(hashes)}).all()}
        for d in drafts:
            owner = owners.get(d.session_token_hash or "")
            if owner is not None and owner[0] == d.advocate_id and owner[1] > d.occurred_at:
                own.add(d.click_id)
    keys = list({(d.advocate_id, d.day, d.visitor_hash) for d in drafts})
    seen = {(user_id, day, hashed): since for user_id, day, hashed, since
            in conn.execute(_ADVOCATE_VISITORS, {"keys": keys}).all()}
    for d in drafts:
        key = (d.advocate_id, d.day, d.visitor_hash)
        if key in seen:
            since = seen[key]
            if since is None or since <= d.occurred_at:
                own.add(d.click_id)
    return own


def _first_visits(conn: Connection, drafts: Sequence[ClickDraft]) -> set[str]:
    """Click ids that are unique: their visitor's first counted click on the share that salt
    day, while the client address has given the share fewer than three unique clicks that
    day. ``drafts`` are in recording order; the primary key of ``unique_visits`` settles
    races between writers."""
    first: dict[tuple[str, date, str], ClickDraft] = {}
    for d in drafts:
        first.setdefault((d.share_id, d.day, d.visitor_hash), d)
    if not first:
        return set()
    inserted = {tuple(row) for row in conn.execute(
        _insert_first_visits(conn.dialect.name),
        [{"share_id": s, "day": day, "visitor_hash": h} for s, day, h in first],
    ).all()}
    firsts = [d for key, d in first.items() if key in inserted]  # still in recording order
    keys = list({(d.share_id, d.day, d.address_hash) for d in firsts if d.address_hash})
    if not keys:
        return {d.click_id for d in firsts}
    counts = {(s, day, a): n for s, day, a, n in conn.execute(_ADDRESS_COUNTS, {"keys": keys})}
    unique: set[str] = set()
    changed: set[tuple[str, date, str]] = set()
    for d in firsts:
        if d.address_hash is None:
            unique.add(d.click_id)
            continue
        key = (d.share_id, d.day, d.address_hash)
        if counts.get(key, 0) < UNIQUE_PER_ADDRESS:
            counts[key] = counts.get(key, 0) + 1
            changed.add(key)
            unique.add(d.click_id)
    if changed:
        conn.execute(_count_address_uniques(conn.dialect.name), [
            {"share_id": s, "day": day, "address_hash": a, "uniques": counts[(s, day, a)]}
            for s, day, a in sorted(changed)])
    return unique


def record_clicks(session: Session, drafts: Sequence[ClickDraft], *,
                  hooks: Sequence[ClickHook] = ()) -> list[RecordedClick]:
    """Decide each click's flags (once: they never change), insert the clicks, count them
    per share and day, and run the hooks (points) in the same transaction."""
    conn = session.connection()
    if not drafts:
        return []
    humans = [d for d in drafts if not d.bot]
    own = _self_clicks(conn, humans) if humans else set()
    unique = _first_visits(conn, [d for d in humans if d.click_id not in own])
    ids = time_ordered_ids(len(drafts))
    clicks = [RecordedClick(id=row_id, click_id=d.click_id, share_id=d.share_id,
                            advocate_id=d.advocate_id, network=d.network, post_id=d.post_id,
                            occurred_at=d.occurred_at, bot=d.bot,
                            is_self=d.click_id in own, is_unique=d.click_id in unique)
              for row_id, d in zip(ids, drafts, strict=True)]
    last = int(conn.execute(_NEXT_SEQ, {"n": len(drafts)}).scalar_one())
    # A batch has no use for ORM objects, nor (on SQLite) for Core's work per value.
    insert_rows(conn, _CLICKS, [
        {"id": c.id, "click_id": c.click_id, "share_id": c.share_id,
         "occurred_at": c.occurred_at, "day": d.day, "visitor_hash": d.visitor_hash,
         "device": d.device, "referrer_host": d.referrer_host, "bot": c.bot,
         "self": c.is_self, "is_unique": c.is_unique, "seq": seq,
         "address_hash": d.address_hash}
        for seq, (c, d) in enumerate(zip(clicks, drafts, strict=True),
                                     start=last - len(drafts) + 1)
    ])
    count_daily(session, clicks)
    webhook_events.clicks_created(session, clicks)
    for hook in hooks:
        hook(session, clicks)
    return clicks


async def write_clicks(session: AsyncSession, drafts: Sequence[ClickDraft], *,
                       hooks: Sequence[ClickHook] = ()) -> list[RecordedClick]:
    """:func:`record_clicks` in an async session's transaction."""
    return await session.run_sync(record_clicks, drafts, hooks=hooks)


def count_daily(session: Session, clicks: Sequence[RecordedClick]) -> None:
    """Add counted clicks (not bot, not self) to their share's total for the local day."""
    tz = org_tz(session)
    # (share, local day) -> a click of that share (its advocate, network, post), counts
    days: dict[tuple[str, date], tuple[RecordedClick, list[int]]] = {}
    for click in clicks:
        if click.counted:
            _, counts = days.setdefault(
                (click.share_id, click.occurred_at.astimezone(tz).date()), (click, [0, 0]))
            counts[0] += 1
            counts[1] += click.is_unique
    if not days:
        return
    conn = session.connection()
    conn.execute(_add_daily_counts(conn.dialect.name), [
        {"share_id": share_id, "day": day, "user_id": click.advocate_id,
         "network": click.network, "post_id": click.post_id, "clicks": n,
         "unique_clicks": unique, "click_points": 0}
        for (share_id, day), (click, (n, unique)) in sorted(days.items(),
                                                             key=lambda item: item[0])])
