"""The outbox: webhook events written in the transaction of the change that caused them.

``emit`` (async sessions) and ``emit_sync`` (the click writer's synchronous session) insert
one ``webhook_events`` row per event with a Core insert and nothing else: no endpoint is read
and nothing is fanned out here, since clicks are the hot path. The delivery job fans each
event out to the endpoints subscribed when it runs. An event rolled back with its change
never existed; one committed is delivered even if the process dies before the job is sent
(the ``deliver_webhooks`` sweep finds it).

Only the event types some endpoint subscribes to are written (failing and disabled endpoints
count: their events are kept for the replay of a re-enable). That set is read at most every
``SUBSCRIBED_TTL`` seconds per process and database, and forgotten at once when this process
changes an endpoint, so a new subscription takes effect in other processes within seconds.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import Connection, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from app.core.clock import utcnow
from app.core.db import after_commit, table
from app.models.webhooks import WebhookEndpoint, WebhookEvent


class EventType(StrEnum):
    """The events of CONTRACT §3."""

    share_created = "share.created"
    click_created = "click.created"
    conversion_created = "conversion.created"
    post_published = "post.published"
    suggestion_created = "suggestion.created"
    suggestion_reviewed = "suggestion.reviewed"
    points_awarded = "points.awarded"


DELIVER_JOB = "deliver_webhook"
WAKE_MS = 200
_WAKING = "webhooks_waking"
SUBSCRIBED_TTL = 5.0
_INSERT_EVENTS = insert(table(WebhookEvent))
_SUBSCRIPTIONS = select(WebhookEndpoint.events)
_subscribed: dict[str, tuple[float, frozenset[str]]] = {}
"""Per database: when the subscribed event types were read, and what they were."""


def forget_subscriptions() -> None:
    """Read the subscribed event types again at the next emit (an endpoint changed)."""
    _subscribed.clear()


def subscribed_types(conn: Connection) -> frozenset[str]:
    url = conn.engine.url
    # The click writer's thread and the event loop reach one SQLite file by two drivers.
    key = url.set(drivername=url.get_backend_name()).render_as_string(hide_password=True)
    now = time.monotonic()
    cached = _subscribed.get(key)
    if cached is not None and now - cached[0] < SUBSCRIBED_TTL:
        return cached[1]
    types = frozenset(t for events in conn.scalars(_SUBSCRIPTIONS) for t in events)
    _subscribed[key] = (now, types)
    return types


def event_ids(count: int) -> list[str]:
    """Ids like ``time_ordered_id`` (32 hex digits, sorting by time to the millisecond,
    the events of one emit in their order)."""
    prefix = f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(5)}"
    return [f"{prefix}{n:010x}" for n in range(count)]


def emit_sync(session: Session, type: EventType | str,
              payloads: Iterable[Mapping[str, Any]]) -> list[str]:
    """Write an event of ``type`` per payload in ``session``'s transaction; their delivery
    job is sent once it commits. Returns the events' ids (none when nobody subscribes).
    ``payloads`` is only read when somebody subscribes: the click projector passes a
    generator, so that a program without webhooks builds no payload per click."""
    kind = EventType(type)
    conn = session.connection()
    if kind.value not in subscribed_types(conn):
        return []
    rows = list(payloads)
    if not rows:
        return []
    ids = event_ids(len(rows))
    now = utcnow()
    conn.execute(_INSERT_EVENTS, [
        {"id": event_id, "type": kind.value, "data": dict(payload), "occurred_at": now,
         "fanned_out": False}
        for event_id, payload in zip(ids, rows, strict=True)])
    wake_after_commit(session)
    return ids


async def emit(session: AsyncSession, type: EventType | str,
               *payloads: Mapping[str, Any]) -> list[str]:
    """:func:`emit_sync` in an async session's transaction."""
    if not payloads:
        return []
    return await session.run_sync(emit_sync, type, payloads)


def wake_key(now_ms: int | None = None) -> str:
    """The argument of the ``deliver_webhook`` job woken now: its ``WAKE_MS`` window, so
    that the commits of a window share one job (a deterministic job id) instead of sending
    one each. The job waits for its window to close before it looks for work (see
    ``app.webhooks.jobs``), so a commit of the window is never left behind by a run that
    started early: arq refuses a job id while that job runs."""
    if now_ms is None:
        now_ms = time.time_ns() // 1_000_000
    return f"{now_ms // WAKE_MS:x}"


def window_end(key: str) -> float | None:
    """When the window named by ``key`` closes, in Unix seconds (None: not a window)."""
    try:
        return (int(key, 16) + 1) * WAKE_MS / 1000
    except ValueError:
        return None


def wake_after_commit(session: Session | AsyncSession) -> None:
    """Send the delivery job once this transaction commits (once, however many events it
    wrote). A session that does not know its database (the click writer's own thread may
    not) sends nothing: the sweep delivers within a minute."""
    info = session.info
    database = info.get("database")
    if database is None or info.get(_WAKING):
        return
    info[_WAKING] = True

    async def send() -> None:
        info.pop(_WAKING, None)  # a later transaction of this session wakes it again
        await database.jobs.enqueue(DELIVER_JOB, wake_key())

    # A sync session shares its ``info`` (where after-commit work waits) with the
    # AsyncSession around it, which runs that work once it commits.
    after_commit(cast(AsyncSession, session), send)
