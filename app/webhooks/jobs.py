"""Background jobs of the webhooks domain (CONTRACT §9).

- ``deliver_webhook(window)``: sent after each commit that wrote events (and by a re-enable),
  with the 200 ms window of the commit as its argument: a deterministic job id, so that the
  commits of a window share one job instead of paying a job (and a ``job_runs`` row) per
  event. It starts once its window has closed, and delivers everything due, not only its
  window's events: runs beside each other are kept from sending a delivery twice by their
  claims (see ``app.webhooks.delivery``). A failed attempt due again within a minute sends
  the job again, deferred; later ones are the sweep's.
- ``deliver_webhooks``: the sweep, every minute: whatever was committed while no job was
  sent (the process died between the commit and the job, or arq refused a job id that was
  still running) and every due retry.
- ``prune_webhook_events``: events (with their deliveries and log) older than 30 days.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

from sqlalchemy import delete

from app.core.clock import utcnow
from app.jobs.spec import Cron, JobContext, JobSpec
from app.models.webhooks import WebhookEvent
from app.webhooks import delivery
from app.webhooks.outbox import DELIVER_JOB, WAKE_MS, wake_key, window_end

JOB_BUDGET = 90.0
SWEEP_BUDGET = 45.0
"""Seconds one sweep sends for, so that it ends before the next minute's."""
DEFER_LIMIT = 60.0
WAKE_MARGIN = 0.05
"""Seconds past its window a run waits for, so the window's last commits have sent it."""
KEEP_EVENTS = timedelta(days=30)


async def deliver_webhook(ctx: JobContext, window: str = "") -> dict[str, int]:
    closes = window_end(window)
    if closes is not None:
        early = closes + WAKE_MARGIN - time.time()
        if 0 < early <= WAKE_MS / 1000 + WAKE_MARGIN:
            await asyncio.sleep(early)
    outcome = await delivery.deliver(ctx.db, ctx.settings, budget=JOB_BUDGET)
    again: float | None = None
    if outcome.more:
        again = 0.0
    elif outcome.next_retry is not None:
        again = (outcome.next_retry - utcnow()).total_seconds()
    if again is not None and again <= DEFER_LIMIT:
        # Deferred, so never refused as a duplicate of a job id still running.
        await ctx.jobs.enqueue(DELIVER_JOB, wake_key(), defer=max(again, 0.001))
    return outcome.counts()


async def deliver_webhooks(ctx: JobContext) -> dict[str, int]:
    return (await delivery.deliver(ctx.db, ctx.settings, budget=SWEEP_BUDGET)).counts()


async def prune_webhook_events(ctx: JobContext) -> dict[str, int]:
    async with ctx.db.transaction() as session:
        outcome = await session.execute(
            delete(WebhookEvent).where(WebhookEvent.occurred_at < utcnow() - KEEP_EVENTS))
    return {"deleted": int(getattr(outcome, "rowcount", 0) or 0)}


JOBS: list[JobSpec] = [
    JobSpec(DELIVER_JOB, deliver_webhook, timeout=JOB_BUDGET + 30),
    JobSpec("deliver_webhooks", deliver_webhooks, timeout=SWEEP_BUDGET + 30),
    JobSpec("prune_webhook_events", prune_webhook_events),
]
CRONS: list[Cron] = [
    Cron("deliver_webhooks", run_at_startup=True),
    Cron("prune_webhook_events", minute=41, hour=3),
]
