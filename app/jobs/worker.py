"""The arq worker: the same job functions as the in-process scheduler, on Redis."""

from __future__ import annotations

from typing import Any, cast

from arq import cron
from arq.connections import RedisSettings
from arq.typing import WorkerSettingsBase
from arq.worker import run_worker as arq_run_worker

from app.content.jobs import publish_due
from app.core.config import Settings, get_settings
from app.core.db import Database
from app.gamification.jobs import award_monthly_badges


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    ctx["db"] = Database(settings.database_url, tz=settings.tz)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["db"].dispose()


async def content_publish_due(ctx: dict[str, Any]) -> list[str]:
    return await publish_due(ctx["db"])


async def gamification_award_monthly_badges(ctx: dict[str, Any]) -> list[str]:
    return await award_monthly_badges(ctx["db"])


class WorkerSettings:
    """For ``arq workers.WorkerSettings``; ``chorus worker`` is the usual entry point."""

    functions = [content_publish_due, gamification_award_monthly_badges]
    cron_jobs = [
        cron(content_publish_due, second=0, unique=True, run_at_startup=True),
        cron(gamification_award_monthly_badges, minute=5, second=0, unique=True),
    ]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = "chorus:jobs"


def run_worker(settings: Settings) -> None:
    arq_run_worker(cast(type[WorkerSettingsBase], WorkerSettings),
                   redis_settings=RedisSettings.from_dsn(settings.redis_url or ""))
