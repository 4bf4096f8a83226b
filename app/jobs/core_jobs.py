"""Jobs that belong to no one domain: forgetting old run records."""

from __future__ import annotations

from app.jobs.runs import prune_job_runs
from app.jobs.spec import Cron, JobSpec

JOBS = [JobSpec("prune_job_runs", prune_job_runs)]
CRONS = [Cron("prune_job_runs", minute=17, hour=3)]
