"""``rotate_salt`` (CONTRACT §4, §9): at 00:00 UTC a new visitor-hash salt, the old one
destroyed, with every hash that only the old salt could have made."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.clock import utcnow
from app.core.db import Database
from app.jobs.catalog import CRONS
from app.models import AdvocateVisitor, UniqueVisit, VisitorSalt
from tests.builders import make_post, make_user
from tests.jobs.runners import JobRunner

# The real days: arq's worker and Redis keep the real time, so no clock is moved here.
TODAY = utcnow().date()
YESTERDAY = TODAY - timedelta(days=1)
BEFORE = TODAY - timedelta(days=2)


async def _seed(db: Database) -> None:
    async with db.transaction() as session:
        user = await make_user(session)
        post = await make_post(session)
        session.add_all([
            VisitorSalt(day=YESTERDAY, salt="yesterday's"),
            UniqueVisit(share_id=post.id, day=BEFORE, visitor_hash="a" * 64),
            UniqueVisit(share_id=post.id, day=YESTERDAY, visitor_hash="e" * 64),
            UniqueVisit(share_id=post.id, day=TODAY, visitor_hash="b" * 64),
            AdvocateVisitor(user_id=user.id, day=BEFORE, visitor_hash="c" * 64),
            AdvocateVisitor(user_id=user.id, day=YESTERDAY, visitor_hash="f" * 64),
            AdvocateVisitor(user_id=user.id, day=TODAY, visitor_hash="d" * 64),
        ])


async def test_the_new_day_gets_a_new_salt_and_yesterdays_traces_go(
        job_runner: JobRunner) -> None:
    await _seed(job_runner.db)
    await job_runner.run("rotate_salt")
    await job_runner.run("rotate_salt")  # twice: nothing more happens

    async with job_runner.db.transaction() as session:
        salts = list(await session.scalars(select(VisitorSalt).order_by(VisitorSalt.day)))
        visits = list(await session.scalars(select(UniqueVisit.visitor_hash)))
        advocates = list(await session.scalars(select(AdvocateVisitor.visitor_hash)))
    # Tomorrow's is made ahead, so that the first redirects after midnight only read theirs.
    assert [s.day for s in salts] == [TODAY, TODAY + timedelta(days=1)]
    assert salts[0].salt != "yesterday's" and salts[0].salt != salts[1].salt
    assert len(salts[0].salt) >= 32
    # Yesterday's visits stay one more day, for clicks logged before midnight and
    # projected after it; older ones go.
    assert (sorted(visits), sorted(advocates)) == (["b" * 64, "e" * 64], ["d" * 64, "f" * 64])


def test_it_runs_at_midnight_utc_and_at_start_up() -> None:
    [schedule] = [c for c in CRONS if c.job == "rotate_salt"]
    assert schedule.matches(datetime(2026, 12, 2, 0, 0, tzinfo=UTC))
    assert not schedule.matches(datetime(2026, 12, 2, 0, 1, tzinfo=UTC))
    assert not schedule.matches(datetime(2026, 12, 2, 1, 0, tzinfo=UTC))
    assert schedule.run_at_startup
