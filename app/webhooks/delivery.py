"""Delivering webhook events (CONTRACT §3, §9 ``deliver_webhook``): at least once, signed,
retried with exponential backoff and full jitter for 24 h.

Every run delivers whatever is due, whichever commit woke it, in chunks of up to ``CHUNK``
deliveries (sent at once), so the database work of a chunk is shared by its deliveries.
It works in three short transactions per chunk, none held across the network:

1. fan-out: events not yet fanned out become one delivery per active endpoint subscribed
   to their type (created before the event); ``(event, endpoint)`` is unique, so a second
   run adds nothing;
2. claim: due deliveries of active endpoints get their ``next_attempt_at`` pushed out by a
   lease in one ``UPDATE … RETURNING`` (``SKIP LOCKED`` on PostgreSQL), so two runs never
   send the same delivery at once, and one that dies mid-attempt leaves it to be claimed
   again when the lease ends (at least once, never lost);
3. record: each attempt is logged; a 2xx delivers, anything else schedules the next attempt
   (up to the delivery's deadline) or gives up at it. A delivery given up after 24 h of
   failures with no success to that endpoint meanwhile marks the endpoint ``failing``: it
   receives nothing more until an admin re-enables it (which replays what it missed).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app import __version__
from app.core.clock import utcnow
from app.core.config import Settings
from app.core.crypto import Cipher, DecryptionFailed, cipher_for
from app.core.db import Database, insert_for, table, time_ordered_id
from app.core.fetch import FetchError, fetch
from app.models.webhooks import (
    DeliveryState,
    EndpointStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from app.webhooks import signing
from app.webhooks.events import iso

log = logging.getLogger("chorus.webhooks")

TIMEOUT = 10.0
"""Seconds a receiver has to answer an attempt."""
MAX_RESPONSE_BYTES = 4_096
EXCERPT_CHARS = 500
RETRY_FOR = timedelta(hours=24)
LEASE = timedelta(minutes=2)
"""A claimed delivery is not claimed again for this long (more than an attempt takes)."""
CHUNK = 25
"""Deliveries claimed and sent at once by one lane of a run."""
LANES = 2
"""Claim-send-record loops of one run."""
MAX_LANES = 4
"""Of one process, across its runs: at most MAX_LANES × CHUNK requests in flight."""
FAN_OUT_CHUNK = 1_000
BASE_DELAY = 5.0
MAX_DELAY = 3 * 3600.0
USER_AGENT = f"Chorus/{__version__} (+webhooks)"

_DELIVERIES = table(WebhookDelivery)
_ATTEMPTS = table(WebhookAttempt)
_LOG_ATTEMPTS = insert(_ATTEMPTS)
_SETTLE = (update(_DELIVERIES).where(_DELIVERIES.c.id == bindparam("b_id"))
           .values(state=bindparam("b_state"), attempts=bindparam("b_attempts"),
                   next_attempt_at=bindparam("b_next"), delivered_at=bindparam("b_delivered")))


def backoff(attempts: int) -> float:
    """Seconds before the next attempt after ``attempts`` failed ones: exponential with full
    jitter (uniform in [0, min(3 h, 5 s · 2^(n−1))]), so receivers coming back up are not met
    by every sender at once."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** min(max(attempts - 1, 0), 32))
    return random.uniform(0, ceiling)


@dataclass(frozen=True)
class Claimed:
    delivery_id: str
    event_id: str
    event_type: str
    body: bytes
    endpoint_id: str
    url: str
    secret: str | None
    attempts: int
    deadline: datetime


@dataclass(frozen=True)
class Result:
    claimed: Claimed
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    excerpt: str | None
    attempted_at: datetime


@dataclass
class Outcome:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    next_retry: datetime | None = None
    more: bool = False
    """The run stopped at its time budget with deliveries still due."""
    failing: set[str] = field(default_factory=set)

    def counts(self) -> dict[str, int]:
        return {"delivered": self.delivered, "failed": self.failed, "gave_up": self.gave_up,
                "marked_failing": len(self.failing)}


async def fan_out(session: AsyncSession, *, limit: int = FAN_OUT_CHUNK) -> int:
    """Make the deliveries of events not yet fanned out; returns how many events it took."""
    events = table(WebhookEvent)
    pending = (select(events.c.id).where(events.c.fanned_out.is_(False))
               .order_by(events.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        pending = pending.with_for_update(skip_locked=True)
    # The first statement writes, so that on SQLite the transaction holds the write lock
    # before it reads (no stale snapshot to upgrade).
    taken = (await session.execute(
        update(events).where(events.c.id.in_(pending), events.c.fanned_out.is_(False))
        .values(fanned_out=True)
        .returning(events.c.id, events.c.type, events.c.occurred_at))).all()
    if not taken:
        return 0
    endpoints = (await session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.events, WebhookEndpoint.created_at)
        .where(WebhookEndpoint.status == EndpointStatus.active))).all()
    rows = [{"id": time_ordered_id(), "event_id": event_id, "endpoint_id": endpoint_id,
             "state": DeliveryState.pending.value, "attempts": 0,
             "next_attempt_at": occurred_at, "deadline": occurred_at + RETRY_FOR,
             "delivered_at": None}
            for event_id, kind, occurred_at in sorted(taken)
            for endpoint_id, subscribed, created_at in endpoints
            if kind in subscribed and created_at <= occurred_at]
    if rows:
        dialect = session.get_bind().dialect.name
        await session.execute(insert_for(dialect)(_DELIVERIES).on_conflict_do_nothing(
            index_elements=["event_id", "endpoint_id"]), rows)
    return len(taken)


async def claim(session: AsyncSession, *, now: datetime,
                limit: int = CHUNK) -> list[tuple[str, str, str, int, datetime]]:
    """Take up to ``limit`` due deliveries of active endpoints for one attempt each:
    ``(delivery, event, endpoint, attempts so far, deadline)``."""
    d = _DELIVERIES
    due = (select(d.c.id)
           .join(WebhookEndpoint.__table__, WebhookEndpoint.id == d.c.endpoint_id)
           .where(d.c.state == DeliveryState.pending.value, d.c.next_attempt_at <= now,
                  WebhookEndpoint.status == EndpointStatus.active)
           .order_by(d.c.next_attempt_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=d, skip_locked=True)
    rows = (await session.execute(
        update(d).where(d.c.id.in_(due), d.c.state == DeliveryState.pending.value,
                        d.c.next_attempt_at <= now)
        .values(next_attempt_at=now + LEASE)
        .returning(d.c.id, d.c.event_id, d.c.endpoint_id, d.c.attempts, d.c.deadline))).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def body_of(event_type: str, occurred_at: datetime, data: Any) -> bytes:
    """The Standard Webhooks payload ``{type, timestamp, data}``, the same on every retry."""
    return json.dumps({"type": event_type, "timestamp": iso(occurred_at), "data": data},
                      separators=(",", ":"), ensure_ascii=False).encode()


async def load(session: AsyncSession, taken: Sequence[tuple[str, str, str, int, datetime]],
                cipher: Cipher) -> list[Claimed]:
    event_ids = {t[1] for t in taken}
    endpoint_ids = {t[2] for t in taken}
    events = {row.id: row for row in (await session.execute(
        select(WebhookEvent.id, WebhookEvent.type, WebhookEvent.occurred_at, WebhookEvent.data)
        .where(WebhookEvent.id.in_(event_ids)))).all()}
    secrets: dict[str, str | None] = {}
    urls: dict[str, str] = {}
    for endpoint_id, url, stored in (await session.execute(
            select(WebhookEndpoint.id, WebhookEndpoint.url, WebhookEndpoint.secret)
            .where(WebhookEndpoint.id.in_(endpoint_ids)))).all():
        urls[endpoint_id] = url
        try:
            secrets[endpoint_id] = cipher.decrypt(stored)
        except DecryptionFailed:
            secrets[endpoint_id] = None
    bodies = {e.id: body_of(e.type, e.occurred_at, e.data) for e in events.values()}
    return [Claimed(delivery_id=delivery_id, event_id=event_id,
                    event_type=events[event_id].type, body=bodies[event_id],
                    endpoint_id=endpoint_id, url=urls[endpoint_id],
                    secret=secrets[endpoint_id], attempts=attempts, deadline=deadline)
            for delivery_id, event_id, endpoint_id, attempts, deadline in taken]


def _excerpt(body: bytes) -> str | None:
    if not body:
        return None
    return body.decode("utf-8", errors="replace")[:EXCERPT_CHARS].replace("\x00", "\ufffd")


async def send(claimed: Claimed, *, allow_private: bool) -> Result:
    """One signed POST; a 2xx is a delivery, anything else (or no answer) a failed attempt.
    No redirect is followed: a receiver answers at the URL it registered."""
    attempted_at = utcnow()
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    if claimed.secret is None:
        error = "the endpoint's secret cannot be decrypted with the configured secret keys"
    else:
        headers = signing.headers(claimed.secret, message_id=claimed.event_id,
                                  timestamp=int(attempted_at.timestamp()), body=claimed.body)
        try:
            answer = await fetch(claimed.url, method="POST", content=claimed.body,
                                 headers=headers, max_bytes=MAX_RESPONSE_BYTES,
                                 timeout=TIMEOUT, max_redirects=0, allow_private=allow_private,
                                 truncate=True, user_agent=USER_AGENT)
            status, excerpt = answer.status, _excerpt(answer.body)
        except FetchError as exc:
            error = exc.reason
    return Result(claimed=claimed, ok=status is not None and 200 <= status < 300,
                  status_code=status, error=error,
                  duration_ms=round((time.perf_counter() - started) * 1000), excerpt=excerpt,
                  attempted_at=attempted_at)


async def record(session: AsyncSession, results: Sequence[Result], outcome: Outcome) -> None:
    """Log the attempts and settle each delivery: delivered, due again later, or given up."""
    now = utcnow()
    attempts: list[dict[str, Any]] = []
    settled: list[dict[str, Any]] = []
    gave_up: dict[str, datetime] = {}
    for result in results:
        claimed = result.claimed
        tries = claimed.attempts + 1
        next_at: datetime | None = None
        if result.ok:
            state = DeliveryState.delivered
            outcome.delivered += 1
        elif now >= claimed.deadline:
            state = DeliveryState.failed
            outcome.gave_up += 1
            started = claimed.deadline - RETRY_FOR
            gave_up[claimed.endpoint_id] = min(started, gave_up.get(claimed.endpoint_id, started))
        else:
            state = DeliveryState.pending
            next_at = min(now + timedelta(seconds=backoff(tries)), claimed.deadline)
            outcome.failed += 1
            outcome.next_retry = min(next_at, outcome.next_retry or next_at)
        attempts.append({
            "id": time_ordered_id(), "delivery_id": claimed.delivery_id,
            "endpoint_id": claimed.endpoint_id, "event_id": claimed.event_id,
            "event_type": claimed.event_type, "attempt": tries, "ok": result.ok,
            "status_code": result.status_code, "error": result.error,
            "duration_ms": result.duration_ms, "response_excerpt": result.excerpt,
            "attempted_at": result.attempted_at, "next_attempt_at": next_at})
        settled.append({"b_id": claimed.delivery_id, "b_state": state.value,
                        "b_attempts": tries, "b_next": next_at,
                        "b_delivered": now if result.ok else None})
    if not attempts:
        return
    # The write first (SQLite then holds the write lock before it reads); then only the
    # attempts of deliveries that still exist are logged: an endpoint deleted meanwhile took
    # its deliveries with it (on PostgreSQL the rows are locked until this commits).
    await session.execute(_SETTLE, settled)
    alive = select(_DELIVERIES.c.id).where(
        _DELIVERIES.c.id.in_([a["delivery_id"] for a in attempts]))
    if session.get_bind().dialect.name == "postgresql":
        alive = alive.with_for_update()
    kept = set(await session.scalars(alive))
    attempts = [a for a in attempts if a["delivery_id"] in kept]
    if attempts:
        await session.execute(_LOG_ATTEMPTS, attempts)
    for endpoint_id, since in gave_up.items():
        if await _mark_failing(session, endpoint_id, since=since, now=now):
            outcome.failing.add(endpoint_id)


async def _mark_failing(session: AsyncSession, endpoint_id: str, *, since: datetime,
                        now: datetime) -> bool:
    """An endpoint that has not taken one delivery since the event it gave up on (24 h of
    failures) is ``failing``; one that takes others (a payload it refuses, say) is not."""
    a = _ATTEMPTS
    succeeded = await session.scalar(select(exists().where(
        a.c.endpoint_id == endpoint_id, a.c.attempted_at >= since, a.c.ok.is_(True))))
    if succeeded:
        return False
    changed = await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.status == EndpointStatus.active)
        .values(status=EndpointStatus.failing, inactive_since=now, updated_at=now))
    if getattr(changed, "rowcount", 0):
        log.warning("webhook endpoint marked failing after 24 h of failed deliveries",
                    extra={"endpoint": endpoint_id})
        return True
    return False


async def deliver(db: Database, settings: Settings, *, budget: float) -> Outcome:
    """Fan out the events waiting, then claim, send and record every due delivery until
    none is due or ``budget`` seconds have passed; again while new events keep coming.
    ``LANES`` claim-send-record loops run at once, so that the database work of one chunk
    overlaps the sending of another. Runs beside other runs: claims keep any two from
    sending a delivery twice."""
    outcome = Outcome()
    stop_at = time.monotonic() + budget
    first = True
    while time.monotonic() < stop_at:
        fanned = 0
        while time.monotonic() < stop_at:
            async with db.transaction() as session:
                taken = await fan_out(session)
            fanned += taken
            if taken < FAN_OUT_CHUNK:
                break
        if not fanned and not first:
            return outcome
        first = False
        await asyncio.gather(*(_lane(db, settings, outcome, stop_at) for _ in range(LANES)))
    outcome.more = True
    return outcome


_lanes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary())


def _process_lanes() -> asyncio.Semaphore:
    """The lanes this process may run at once, across runs: a claimed chunk never waits
    for the CPU behind others until its lease runs out (it would then be sent twice)."""
    loop = asyncio.get_running_loop()
    lanes = _lanes.get(loop)
    if lanes is None:
        lanes = _lanes[loop] = asyncio.Semaphore(MAX_LANES)
    return lanes


async def _lane(db: Database, settings: Settings, outcome: Outcome, stop_at: float) -> None:
    lanes = _process_lanes()
    while time.monotonic() < stop_at:
        async with lanes:
            async with db.transaction() as session:
                taken = await claim(session, now=utcnow())
                batch = await load(session, taken, await cipher_for(session, settings)) \
                    if taken else []
            if not batch:
                return
            results = await asyncio.gather(*(
                send(c, allow_private=settings.allow_private_webhooks) for c in batch))
            async with db.transaction() as session:
                await record(session, results, outcome)
