"""The job layer: one catalog, two runners, crons declared once, runs recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.clock import utcnow
from app.core.db import Database
from app.jobs.catalog import CRONS, JOBS
from app.jobs.scheduler import InProcessScheduler
from app.jobs.spec import Cron
from app.jobs.worker import WorkerSettings
from app.models import JobRun, Post
from app.models.enums import PostStatus
from tests.builders import make_post
from tests.jobs.runners import JobRunner


async def _statuses(db: Database) -> list[str]:
    async with db.transaction() as session:
        return [str(s) for s in await session.scalars(select(Post.status).order_by(Post.id))]


async def _queue_two(db: Database) -> None:
    async with db.transaction() as session:
        await make_post(session)
        await make_post(session, publish_at=utcnow() + timedelta(days=1))


async def _runs(db: Database) -> list[JobRun]:
    async with db.transaction() as session:
        return list(await session.scalars(select(JobRun).order_by(JobRun.id)))


async def test_publish_due_publishes_what_is_due_and_records_the_run(
        job_runner: JobRunner) -> None:
    await _queue_two(job_runner.db)
    await job_runner.run("publish_due")

    assert sorted(await _statuses(job_runner.db)) == [PostStatus.published, PostStatus.queued]
    [run] = [r for r in await _runs(job_runner.db) if r.name == "publish_due"]
    assert (run.name, run.status, run.runner, run.result) == (
        "publish_due", "ok", job_runner.kind, {"published": 1})


def test_every_cron_names_a_job_and_arq_gets_the_same_schedule() -> None:
    assert {c.job for c in CRONS} <= set(JOBS)
    by_name = {c.name: c for c in WorkerSettings.cron_jobs}
    for schedule in CRONS:
        arq_cron = by_name[f"cron:{schedule.job}"]
        assert arq_cron.unique and arq_cron.run_at_startup == schedule.run_at_startup
        assert arq_cron.minute == schedule.minute and arq_cron.hour == schedule.hour


def test_a_cron_matches_its_minutes_hours_and_weekdays() -> None:
    hourly = Cron("x", minute=10)
    weekly = Cron("x", minute=0, hour={9, 17}, weekday=1)
    monday_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    assert weekly.matches(monday_9) and not weekly.matches(monday_9 + timedelta(days=1))
    assert not weekly.matches(monday_9 + timedelta(minutes=1))
    assert hourly.matches(monday_9 + timedelta(minutes=10))
    assert not hourly.matches(monday_9 + timedelta(minutes=11))
    assert Cron("x").matches(monday_9 + timedelta(minutes=37))


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def enqueue(self, name: str, *args: str, defer: float | None = None) -> None:
        self.sent.append(name)


async def test_the_in_process_scheduler_enqueues_what_is_due_that_minute() -> None:
    jobs = _Recorder()
    scheduler = InProcessScheduler(jobs, [Cron("a", minute=0, hour=0, run_at_startup=True),
                                          Cron("b"), Cron("c", minute=5)])
    await scheduler.tick(datetime(2026, 12, 2, 10, 5, tzinfo=UTC))
    await scheduler.tick(datetime(2026, 12, 2, 10, 6, tzinfo=UTC), startup=True)
    await scheduler.tick(datetime(2026, 12, 3, 0, 0, tzinfo=UTC))
    assert jobs.sent == ["b", "c", "a", "b", "a", "b"]
