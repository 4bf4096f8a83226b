"""Running one job and keeping the record of the run (``GET /api/v1/jobs``)."""

from __future__ import annotations

import json
import logging
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete

from app.core.clock import utcnow
from app.core.db import Database, table, time_ordered_id
from app.jobs.spec import JobContext, JobSpec, RetryLater
from app.models import JobRun

log = logging.getLogger("chorus.jobs")

_MAX_RESULT_BYTES = 2_000
_MAX_ERROR_CHARS = 2_000
KEEP_RUNS = timedelta(days=7)


def _small(result: Any) -> Any:
    """The job's result, when it is a small JSON value; otherwise nothing is kept."""
    if result is None:
        return None
    try:
        text = json.dumps(result, default=str)
    except (TypeError, ValueError):
        return None
    return json.loads(text) if len(text) <= _MAX_RESULT_BYTES else None


async def run_job(spec: JobSpec, ctx: JobContext, args: tuple[str, ...], *,
                  runner: str) -> Any:
    """Run ``spec`` once and record the run; ``RetryLater`` and errors propagate after."""
    started, clock = utcnow(), time.perf_counter()
    status, error, result = "ok", None, None
    try:
        result = await spec.function(ctx, *args)
        return result
    except RetryLater as exc:
        status, error = "retry", str(exc)
        raise
    except Exception as exc:
        status, error = "failed", f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]
        log.exception("job failed", extra={"job": spec.name})
        raise
    except BaseException:
        status, error = "failed", "cancelled: the time limit passed or the worker stopped"
        raise
    finally:
        await _record(ctx.db, name=spec.name, args=args, runner=runner, status=status,
                      attempt=ctx.attempt, started=started,
                      duration_ms=round((time.perf_counter() - clock) * 1000),
                      result=_small(result), error=error)


async def _record(db: Database, *, name: str, args: tuple[str, ...], runner: str,
                  status: str, attempt: int, started: datetime, duration_ms: int,
                  result: Any, error: str | None) -> None:
    try:
        async with db.transaction() as session:
            await session.execute(table(JobRun).insert().values(
                id=time_ordered_id(),
                name=name, args=list(args), runner=runner, status=status, attempt=attempt,
                started_at=started, finished_at=utcnow(), duration_ms=duration_ms,
                result=result, error=error))
    except Exception:
        # The run happened whether or not its record could be written.
        log.exception("could not record a job run", extra={"job": name})


async def prune_job_runs(ctx: JobContext) -> int:
    """``prune_job_runs``: forget runs older than a week."""
    async with ctx.db.transaction() as session:
        outcome = await session.execute(
            delete(JobRun).where(JobRun.started_at < utcnow() - KEEP_RUNS))
    return int(getattr(outcome, "rowcount", 0) or 0)
