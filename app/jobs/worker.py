"""The arq worker (``chorus worker``): every job of the catalog and its crons, on Redis."""

from __future__ import annotations

from datetime import UTC
from typing import Any, cast

from arq.connections import ArqRedis, RedisSettings
from arq.typing import WorkerSettingsBase
from arq.worker import run_worker as arq_run_worker

from app.core.config import Settings, get_settings
from app.core.db import Database
from app.gamification import service as gamification_service
from app.jobs.catalog import CRONS, JOBS
from app.jobs.redis_queue import QUEUE, ArqJobs, arq_cron, worker_functions
from app.jobs.spec import JobContext
from app.tracking.projector import ClickProjector

FUNCTIONS = worker_functions(list(JOBS.values()))


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    db = Database(settings.database_url, tz=settings.tz)
    pool: ArqRedis = ctx["redis"]
    db.jobs = ArqJobs(pool, JOBS, queue=QUEUE)
    ctx["chorus"] = JobContext(db=db, settings=settings, jobs=db.jobs)
    # The worker projects clicks too: the servers' projectors and this one take turns under
    # the database's lock, so clicks are processed even while every server is busy.
    projector = ClickProjector(db, hooks=[gamification_service.award_clicks])
    db.projector = projector
    projector.start()
    ctx["projector"] = projector


async def shutdown(ctx: dict[str, Any]) -> None:
    projector: ClickProjector | None = ctx.get("projector")
    if projector is not None:
        await projector.close()
    chorus: JobContext | None = ctx.get("chorus")
    if chorus is not None:
        await chorus.db.dispose()


class WorkerSettings:
    """For ``arq workers.WorkerSettings``; ``chorus worker`` is the usual entry point."""

    functions = list(FUNCTIONS.values())
    cron_jobs = [arq_cron(schedule, FUNCTIONS) for schedule in CRONS]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = QUEUE
    timezone = UTC
    # Webhook deliveries and feed reads wait on the network, not the CPU.
    max_jobs = 50
    keep_result = 0
    # An idle worker looks at the queue every 100 ms (arq: 500 ms), so that a webhook is sent
    # well within a second of its commit; one small Redis query per look.
    poll_delay = 0.1


def run_worker(settings: Settings) -> None:
    arq_run_worker(cast(type[WorkerSettingsBase], WorkerSettings),
                   redis_settings=RedisSettings.from_dsn(settings.redis_url or ""))
