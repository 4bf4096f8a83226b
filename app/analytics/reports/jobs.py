"""``send_reports`` (CONTRACT §9): each schedule's leadership report, by email."""

from __future__ import annotations

from app.analytics.reports.sending import send_reports
from app.jobs.spec import Cron, JobSpec

JOBS: list[JobSpec] = [JobSpec("send_reports", send_reports, timeout=1800)]
# Hourly, acting from the local send hour on (jobs at local hours decide for themselves).
CRONS: list[Cron] = [Cron("send_reports", minute=5, run_at_startup=True)]
