"""An arq worker for ``test_a_worker_killed_mid_job``: ``chorus worker``'s start-up and
functions, but only ``fetch_preview`` with a 5 s time limit, so that arq's in-progress mark
of a killed worker's job (time limit + 10 s) expires within the test."""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC

from arq.connections import RedisSettings

from app.jobs.catalog import JOBS
from app.jobs.redis_queue import arq_function
from app.jobs.worker import shutdown, startup


class WorkerSettings:
    functions = [arq_function(dataclasses.replace(JOBS["fetch_preview"], timeout=5))]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = os.environ.get("CHORUS_TEST_QUEUE", "chorus:test:kill")
    redis_settings = RedisSettings.from_dsn(os.environ.get("CHORUS_REDIS_URL", ""))
    timezone = UTC
    keep_result = 0
    poll_delay = 0.1
