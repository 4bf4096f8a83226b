"""``send_reports`` (CONTRACT §9): each schedule's report of the last full week or month, by
email with the PDF attached.

Hourly, from ``SEND_HOUR`` local time on, a schedule whose last full period has no send yet
gets one: the (schedule, period) row is inserted under its unique constraint and committed
before anything leaves, so no run, in this or another process, sends it twice. A refused or
unreachable mail server marks it ``failed`` and a later run tries again, up to
``MAX_ATTEMPTS``; a process that dies while sending leaves ``sending`` and the period is not
sent again (a missed report is better than two). A pilot's schedule sends nothing for
periods that miss the pilot's dates.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, time

import aiosmtplib
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.analytics.reports import document
from app.analytics.reports.pdf import RenderFailed, render_pdf
from app.analytics.reports.periods import ReportPeriod, last_full
from app.analytics.reports.schemas import Cadence
from app.core.clock import utcnow
from app.core.db import dialect_insert, new_id
from app.core.mail import Attachment, Mail, send_mail
from app.jobs.spec import JobContext
from app.models import Pilot, ReportSchedule, ReportSend
from app.web import i18n
from app.web.dashboard import report_texts

log = logging.getLogger("chorus.reports")

SEND_HOUR = time(7)
MAX_ATTEMPTS = 5
SENDING, SENT, FAILED = "sending", "sent", "failed"
_ERROR_CHARS = 1_000


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def _claim(session: AsyncSession, schedule_id: str, period: str) -> bool:
    inserted = await session.execute(
        dialect_insert(session)(ReportSend).values(
            id=new_id(), schedule_id=schedule_id, period=period, status=SENDING, attempts=1,
            created_at=utcnow())
        .on_conflict_do_nothing())
    if _count(inserted):
        return True
    retaken = await session.execute(
        update(ReportSend).where(ReportSend.schedule_id == schedule_id,
                                 ReportSend.period == period, ReportSend.status == FAILED,
                                 ReportSend.attempts < MAX_ATTEMPTS)
        .values(status=SENDING, attempts=ReportSend.attempts + 1, error=None)
        .execution_options(synchronize_session=False))
    return _count(retaken) == 1


def _misses_pilot(pilot: Pilot, period: ReportPeriod) -> bool:
    return period.end <= pilot.starts_on or period.start > pilot.ends_on


def _texts(doc: document.ReportDocument, language: str) -> tuple[str, str]:
    """The mail's subject and body in ``language``."""
    translations = i18n.translations(language)
    span = {"first": doc.start.isoformat(), "last": doc.last.isoformat()}
    name = doc.name or translations.gettext(report_texts.WHOLE_ORGANISATION)
    return (translations.gettext(report_texts.SUBJECT) % {"name": name, **span},
            translations.gettext(report_texts.BODY) % span)


async def _prepare(ctx: JobContext, schedule_id: str, now: datetime) -> tuple[Mail, str] | str:
    """The mails of the schedule's due report, claimed; else why nothing is sent."""
    async with ctx.db.transaction() as session:
        schedule = await session.get(ReportSchedule, schedule_id)
        if schedule is None:
            return "deleted"
        today = now.astimezone(ctx.settings.tz).date()
        period = last_full(Cadence(schedule.cadence), today)
        pilot = await session.get(Pilot, schedule.pilot_id) if schedule.pilot_id else None
        if pilot is not None and _misses_pilot(pilot, period):
            return "outside_pilot"
        if not await _claim(session, schedule.id, period.key):
            return "done"
        language = i18n.supported(schedule.language) or i18n.DEFAULT_LANGUAGE
        if pilot is not None:
            doc = await document.for_pilot(session, pilot, start=period.start, end=period.end)
        else:
            doc = await document.for_organisation(session, start=period.start,
                                                  end=period.end, group_id=None)
        html = document.html(doc, language=language, session=session)
        recipients = list(schedule.recipients)
    # The claim is committed: from here on this period is never sent twice.
    try:
        pdf = await render_pdf(html)
    except (RenderFailed, TimeoutError) as exc:
        return await _finish(ctx, schedule_id, period.key, f"{type(exc).__name__}: {exc}")
    subject, text = _texts(doc, language)
    attachment = Attachment(document.filename(doc), pdf)
    # One message to every recipient, one SMTP transaction: accepted for all or retried
    # for all, never sent twice to some.
    return Mail(to=", ".join(recipients), subject=subject, text=text,
                attachments=(attachment,)), period.key


async def _finish(ctx: JobContext, schedule_id: str, period: str, error: str | None) -> str:
    async with ctx.db.transaction() as session:
        await session.execute(
            update(ReportSend).where(ReportSend.schedule_id == schedule_id,
                                     ReportSend.period == period, ReportSend.status == SENDING)
            .values(status=FAILED if error else SENT,
                    error=error[:_ERROR_CHARS] if error else None,
                    sent_at=None if error else utcnow())
            .execution_options(synchronize_session=False))
    if error:
        log.warning("report not sent", extra={"schedule_id": schedule_id, "error": error})
    return "failed" if error else "sent"


async def _send(ctx: JobContext, schedule_id: str, now: datetime) -> str:
    prepared = await _prepare(ctx, schedule_id, now)
    if isinstance(prepared, str):
        return prepared
    mail, period = prepared
    error: str | None = None
    try:
        await send_mail(ctx.settings, mail)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}"
    return await _finish(ctx, schedule_id, period, error)


async def send_reports(ctx: JobContext) -> dict[str, object]:
    """Hourly; acts from ``SEND_HOUR`` local time on."""
    now = utcnow()
    local = now.astimezone(ctx.settings.tz)
    if local.time() < SEND_HOUR:
        return {"due": False}
    async with ctx.db.transaction() as session:
        ids = list(await session.scalars(select(ReportSchedule.id).order_by(ReportSchedule.id)))
    counts: Counter[str] = Counter()
    for schedule_id in ids:
        counts[await _send(ctx, schedule_id, now)] += 1
    return dict(counts)

