"""Background jobs of the networks domain (CONTRACT §9): ``pull_stats`` every hour (it
decides which shares are due: hourly up to 30 days, daily up to 90) and the daily reminder
of LinkedIn connections about to end."""

from __future__ import annotations

from app.jobs.spec import Cron, JobSpec
from app.networks.pull import pull_stats
from app.networks.reminders import remind_connections

JOBS: list[JobSpec] = [
    # Four LinkedIn calls a share, one X call per hundred: a long run is normal; one
    # stopped midway loses nothing (each batch is recorded as it is pulled).
    JobSpec("pull_stats", pull_stats, timeout=1800),
    JobSpec("remind_connections", remind_connections),
]
CRONS: list[Cron] = [
    Cron("pull_stats", minute=7),
    Cron("remind_connections", minute=40, hour=8),
]
