"""``chorus audit [--repair]`` (CONTRACT §1): every derived number recomputed from the raw
records, each difference reported, and with ``--repair`` rewritten in one transaction.

The audit reads one consistent snapshot: on SQLite a read transaction of its own connection
(the write lock, ``BEGIN IMMEDIATE``, when repairing, so nothing moves between the reading
and the writing); on PostgreSQL a REPEATABLE READ transaction, which when repairing first
takes the click projector's lock, so no batch of clicks is counted while the audit rewrites
what clicks count for. Clicks logged and not yet processed are a difference of their own;
repairing projects them first, through the projector, whose job deciding flags is.

Tests use :func:`audit` as an oracle: it returns the differences it found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy.orm import Session

from app.analytics.audit.recompute import NoProgress, Progress, Recomputation
from app.analytics.audit.repair import apply
from app.analytics.audit.report import AuditReport, Difference
from app.core.clock import utcnow
from app.core.db import Database
from app.tracking.projector import PROJECTORS_LOCK, ClickProjector

__all__ = ["AuditReport", "Difference", "Progress", "audit", "pending_clicks"]

T = TypeVar("T")


async def audit(db: Database, *, repair: bool = False, now: datetime | None = None,
                progress: Progress | None = None) -> AuditReport:
    """Audit ``db``; with ``repair``, project the pending clicks, rewrite every repairable
    difference in one transaction and audit again (``remaining``)."""
    pending = await pending_clicks(db)
    found: list[Difference] = []
    if pending:
        found.append(_pending(pending))
    if repair and pending:
        await _project(db)
    run_now = now or utcnow()
    differences, checked = await _in_snapshot(
        db, lambda s: _recompute(s, db, run_now, progress, repair=repair), write=repair)
    found.extend(differences)
    if not repair:
        return AuditReport(found=found, remaining=found, checked=checked)
    repaired = sum(1 for d in differences if d.repairable) + (1 if pending else 0)
    again = await audit(db, repair=False, now=now)
    return AuditReport(found=found, remaining=again.remaining, repaired=repaired,
                       checked=checked)


def _recompute(session: Session, db: Database, now: datetime, progress: Progress | None, *,
               repair: bool) -> tuple[list[Difference], dict[str, int]]:
    recomputation = Recomputation(session, tz=db.tz, now=now, progress=progress or NoProgress())
    differences = recomputation.run()
    if repair:
        apply(session, differences)
    return differences, recomputation.checked


def _pending(count: int) -> Difference:
    clicks = "1 click" if count == 1 else f"{count} clicks"
    return Difference("click_log", "pending", f"{clicks} logged and not yet processed",
                      "0 pending", None, "--repair projects them first")


async def pending_clicks(db: Database) -> int:
    """How many logged clicks the projector has not processed yet."""
    projector = ClickProjector(db)
    try:
        return await projector.pending()
    finally:
        await projector.close()


async def _project(db: Database) -> int:
    """Decide the pending clicks' flags and count them: the projector's work, done by it."""
    from app.gamification import service as gamification_service

    projector = ClickProjector(db, hooks=[gamification_service.award_clicks])
    try:
        return await projector.catch_up()
    finally:
        await projector.close()


# ---------------------------------------------------------------------- one snapshot

async def _in_snapshot(db: Database, work: Callable[[Session], T], *, write: bool) -> T:
    """``work`` in one transaction that sees one state of the database: committed when
    ``write``, rolled back otherwise."""
    if db.is_sqlite:
        return await asyncio.to_thread(_sqlite_snapshot, db, work, write)
    async with db.sessionmaker() as session:
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        if write:
            # The projectors' lock: no batch of clicks commits while we rewrite its counts.
            await session.execute(PROJECTORS_LOCK)
        result = await session.run_sync(work)
        if write:
            await session.commit()
        else:
            await session.rollback()
        return result


def _sqlite_snapshot(db: Database, work: Callable[[Session], T], write: bool) -> T:
    engine = db.sync_engine(write=write)
    try:
        with Session(engine) as session:
            result = work(session)  # the first statement begins the transaction
            if write:
                session.commit()
            else:
                session.rollback()
            return result
    finally:
        engine.dispose()
