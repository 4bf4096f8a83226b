"""Background jobs of the digests domain (CONTRACT §9).

Both run hourly (and at start-up, so a restart during the digest hour still sends) and
decide for themselves whether it is a digest hour in ``CHORUS_TIMEZONE``.
"""

from __future__ import annotations

from app.digests.channel_digest import send_channel_digest
from app.digests.reminders import send_reminders
from app.jobs.spec import Cron, JobSpec

JOBS: list[JobSpec] = [
    # Sending to every advocate one after the other may take a while; the next hour's run
    # must not start beside it (unique) and continues where it stopped.
    JobSpec("send_reminders", send_reminders, timeout=3000),
    JobSpec("send_channel_digest", send_channel_digest, timeout=600),
]
CRONS: list[Cron] = [
    Cron("send_reminders", minute=0, run_at_startup=True),
    Cron("send_channel_digest", minute=0, run_at_startup=True),
]
