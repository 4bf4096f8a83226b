"""Every job of CONTRACT §9 and its schedule, declared once for both runners."""

from __future__ import annotations

from app.analytics.okr import jobs as okr_jobs
from app.analytics.reports import jobs as report_jobs
from app.content import jobs as content_jobs
from app.digests import jobs as digest_jobs
from app.feeds import jobs as feed_jobs
from app.gamification import jobs as gamification_jobs
from app.jobs import core_jobs
from app.jobs.spec import Cron, JobSpec
from app.networks import jobs as network_jobs
from app.tracking import jobs as tracking_jobs
from app.webhooks import jobs as webhook_jobs

_DOMAINS = (core_jobs, content_jobs, gamification_jobs, webhook_jobs, feed_jobs,
            network_jobs, digest_jobs, tracking_jobs, okr_jobs, report_jobs)

JOBS: dict[str, JobSpec] = {spec.name: spec for d in _DOMAINS for spec in d.JOBS}
CRONS: list[Cron] = [schedule for d in _DOMAINS for schedule in d.CRONS]


def _check() -> None:
    names = [spec.name for d in _DOMAINS for spec in d.JOBS]
    if len(names) != len(set(names)):
        raise RuntimeError(f"a job name is declared twice: {sorted(names)}")
    for schedule in CRONS:
        if schedule.job not in JOBS:
            raise RuntimeError(f"cron for unknown job {schedule.job!r}")


_check()
