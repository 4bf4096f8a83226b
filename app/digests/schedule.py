"""The reminder settings (CONTRACT §3 ``/settings/reminders``) and when digests are due.

Both jobs run hourly and decide here, in the organisation's zone, whether this hour is a
digest hour. A digest is due from its local hour to the end of that local day: a run missed
at the hour itself (a restart, Redis down, a long previous run) catches up later that day,
and the period key, recorded per recipient, keeps it to one digest per period.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.app_settings import read_setting, save_setting
from app.digests.schemas import ReminderSettings

REMINDERS_KEY = "reminders"


async def reminder_settings(session: AsyncSession) -> ReminderSettings:
    return await read_setting(session, REMINDERS_KEY, ReminderSettings)


async def save_reminder_settings(session: AsyncSession,
                                 settings: ReminderSettings) -> ReminderSettings:
    return await save_setting(session, REMINDERS_KEY, settings)


def reminder_period(now: datetime, tz: ZoneInfo, settings: ReminderSettings) -> str | None:
    """The email digest period due at ``now`` (its local date, ``2026-12-07``), or None:
    reminders off, not a digest weekday, or before the digest hour."""
    local = now.astimezone(tz)
    if (not settings.enabled or local.isoweekday() not in settings.weekday_digest
            or local.hour < settings.hour):
        return None
    return local.date().isoformat()


def channel_period(now: datetime, tz: ZoneInfo, settings: ReminderSettings) -> str | None:
    """The channel digest period due at ``now`` (its local ISO week, ``2026-W50``), or None:
    it goes out once a week, on the first digest weekday at the digest hour. It does not
    depend on ``enabled``, which is about emails to advocates: a channel is registered
    (and removed) on purpose."""
    local = now.astimezone(tz)
    if local.isoweekday() != min(settings.weekday_digest) or local.hour < settings.hour:
        return None
    year, week, _ = local.isocalendar()
    return f"{year}-W{week:02d}"
