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


async def startup(ctx: dict[str, Any]) -> None:
    ctx["db"] = Database(get_settings().database_url)


async def shutdown(ctx: dict[str, Any]) -> None:
    await ctx["db"].dispose()


async def content_publish_due(ctx: dict[str, Any]) -> list[str]:
    return await publish_due(ctx["db"])


class WorkerSettings:
    """For ``arq workers.WorkerSettings``; ``chorus worker`` is the usual entry point."""

    functions = [content_publish_due]
    cron_jobs = [cron(content_publish_due, second=0, unique=True, run_at_startup=True)]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = "chorus:jobs"


def run_worker(settings: Settings) -> None:
    arq_run_worker(cast(type[WorkerSettingsBase], WorkerSettings),
                   redis_settings=RedisSettings.from_dsn(settings.redis_url or ""))
