"""Background jobs of the feeds domain (CONTRACT §9)."""

from __future__ import annotations

from app.jobs.spec import Cron, JobSpec

JOBS: list[JobSpec] = []
CRONS: list[Cron] = []
