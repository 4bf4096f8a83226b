"""The enqueue rules both runners keep (CONTRACT §9): work is sent once its transaction
commits and never when it rolls back; a unique job is not run beside itself, and one asked
for while it runs runs once more afterwards; ``RetryLater`` runs it again."""

from __future__ import annotations

import asyncio

import pytest

from app.jobs import redis_queue
from app.jobs.queue import enqueue_after_commit
from app.jobs.spec import JobContext, JobSpec, RetryLater
from tests.jobs.runners import JobRunner


class Boom(Exception):
    pass


def _add(runner: JobRunner, *specs: JobSpec) -> None:
    runner.specs.update({spec.name: spec for spec in specs})
    runner.install()


@pytest.fixture(autouse=True)
def quick_rerun(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redis_queue, "RERUN_AFTER", 0.1)


async def test_work_is_sent_once_its_transaction_commits_and_never_on_rollback(
        job_runner: JobRunner) -> None:
    ran: list[str] = []

    async def note(_ctx: JobContext, value: str) -> None:
        ran.append(value)

    _add(job_runner, JobSpec("note", note, unique=False))
    async with job_runner.db.transaction() as session:
        enqueue_after_commit(session, "note", "committed")
        assert ran == []

    async def rolled_back() -> None:
        async with job_runner.db.transaction() as session:
            enqueue_after_commit(session, "note", "rolled back")
            raise Boom

    with pytest.raises(Boom):
        await rolled_back()
    await job_runner.settle()
    assert ran == ["committed"]


async def test_a_unique_job_asked_for_while_it_runs_runs_once_more_after(
        job_runner: JobRunner) -> None:
    runs: list[str] = []
    concurrent = 0
    most = 0

    async def sync(ctx: JobContext, feed_id: str) -> None:
        nonlocal concurrent, most
        concurrent += 1
        most = max(most, concurrent)
        runs.append(feed_id)
        if len(runs) == 1:
            # A change commits while the first run works: it asks for the job three times.
            for _ in range(3):
                await ctx.jobs.enqueue("sync", feed_id)
            await asyncio.sleep(0.2)
        concurrent -= 1

    _add(job_runner, JobSpec("sync", sync, unique=True))
    await job_runner.run("sync", "f1")
    assert runs == ["f1", "f1"]  # once more, not three times more
    assert most == 1


async def test_a_unique_job_queued_twice_before_it_runs_runs_once(
        job_runner: JobRunner) -> None:
    runs: list[str] = []

    async def sync(_ctx: JobContext, feed_id: str) -> None:
        runs.append(feed_id)

    _add(job_runner, JobSpec("sync", sync, unique=True))
    if job_runner.inline is None:  # arq: both are queued before a worker starts
        await job_runner.db.jobs.enqueue("sync", "f1")
        await job_runner.db.jobs.enqueue("sync", "f1")
        await job_runner.db.jobs.enqueue("sync", "f2")
        await job_runner.settle()
        assert sorted(runs) == ["f1", "f2"]
    else:  # in-process, a job starts at once: the second ask is the rerun of the test above
        await job_runner.run("sync", "f2")
        assert runs == ["f2"]


async def test_retry_later_runs_it_again_up_to_its_tries(job_runner: JobRunner) -> None:
    attempts: list[int] = []

    async def flaky(ctx: JobContext) -> str:
        attempts.append(ctx.attempt)
        if ctx.attempt < 3:
            raise RetryLater(0.05, "not yet")
        return "done"

    async def hopeless(ctx: JobContext) -> None:
        attempts.append(-ctx.attempt)
        raise RetryLater(0.05, "never")

    _add(job_runner, JobSpec("flaky", flaky, max_tries=5),
         JobSpec("hopeless", hopeless, max_tries=2))
    await job_runner.run("flaky")
    await job_runner.run("hopeless")
    assert attempts == [1, 2, 3, -1, -2]
