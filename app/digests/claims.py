"""One digest per (recipient, period), recorded before it is sent.

A digest is claimed by inserting its row (``status = "sending"``) under the table's unique
(recipient, period) constraint and committing, before anything leaves; a second run, in this
or another process, finds the row and sends nothing. The outcome is written afterwards:
``sent``, or ``failed`` when the server refused or could not be reached, which a later run
of the same day claims again. A process that dies while sending leaves ``sending``: that
digest is never sent again (at most once per period: a missed digest is better than two).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.core.db import dialect_insert, new_id
from app.models.digests import ChannelDigest, ReminderDigest

SENDING, SENT, FAILED, SKIPPED = "sending", "sent", "failed", "skipped"
_ERROR_CHARS = 1_000

Record = type[ReminderDigest] | type[ChannelDigest]


def _owner(model: Record) -> tuple[str, InstrumentedAttribute[str]]:
    if model is ReminderDigest:
        return "user_id", ReminderDigest.user_id
    return "channel_id", ChannelDigest.channel_id


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def take(session: AsyncSession, model: Record, *, owner: str, period: str,
               status: str, post_ids: Sequence[str], window_end: datetime,
               now: datetime) -> bool:
    """Record the (owner, period) digest as ``status`` (``sending`` claims it to send,
    ``skipped`` says there was nothing to send) unless a run already did; only a
    ``failed`` row is taken over. True when this call wrote it."""
    name, column = _owner(model)
    attempts = 1 if status == SENDING else 0
    inserted = await session.execute(
        dialect_insert(session)(model).values(
            id=new_id(), period=period, status=status, attempts=attempts,
            post_ids=list(post_ids), window_end=window_end, created_at=now, **{name: owner})
        .on_conflict_do_nothing())
    if _count(inserted):
        return True
    retaken = await session.execute(
        update(model).where(column == owner, model.period == period, model.status == FAILED)
        .values(status=status, attempts=model.attempts + attempts, post_ids=list(post_ids),
                window_end=window_end, error=None)
        .execution_options(synchronize_session=False))
    return _count(retaken) == 1


async def finish(session: AsyncSession, model: Record, *, owner: str, period: str,
                 error: str | None, now: datetime) -> None:
    """Record how the claimed digest went: sent, or failed with ``error``."""
    _, column = _owner(model)
    await session.execute(
        update(model).where(column == owner, model.period == period, model.status == SENDING)
        .values(status=FAILED if error else SENT, error=error[:_ERROR_CHARS] if error else None,
                sent_at=None if error else now)
        .execution_options(synchronize_session=False))
