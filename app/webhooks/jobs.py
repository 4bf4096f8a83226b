"""Background jobs of the webhooks domain (CONTRACT §9)."""

from __future__ import annotations

from app.jobs.spec import Cron, JobSpec

JOBS: list[JobSpec] = []
CRONS: list[Cron] = []
