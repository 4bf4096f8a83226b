"""``send_reminders`` (CONTRACT §9): the email digest of new posts an advocate has not shared.

At the digest hour of each digest weekday (``schedule.reminder_period``), every active user
(every role shares, §5) who has not opted out gets, when there are at least
``min_new_posts`` of them, the posts published since their last digest (the last 7 days
for a first one) that they can see (§3: they follow one of the post's topics, or follow
none), that are still in the feed (not expired or archived) and that they have not shared.
Each user is recorded once per period before the mail leaves (``app.digests.claims``).
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

import aiosmtplib
from sqlalchemy import Select, delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.content.service import followed_topic_ids, live_clause, visible_to
from app.core.clock import utcnow
from app.core.mail import Mail, send_mail
from app.digests import claims
from app.digests.emails import DigestPost, post_link, reminder_mail
from app.digests.schedule import reminder_period, reminder_settings
from app.digests.schemas import ReminderSettings
from app.jobs.spec import JobContext
from app.models import Post, Share, User
from app.models.digests import ReminderDigest

log = logging.getLogger("chorus.digests")

FIRST_WINDOW = timedelta(days=7)
MAX_LISTED = 10
"""Posts listed in one email; the rest are counted, with a link to the feed."""
KEEP_SKIPPED = timedelta(days=90)
_BATCH = 200


async def last_digest_end(session: AsyncSession, user_id: str) -> datetime | None:
    """Where the user's last digest that was sent stopped."""
    return await session.scalar(select(func.max(ReminderDigest.window_end)).where(
        ReminderDigest.user_id == user_id, ReminderDigest.status == claims.SENT))


async def new_posts(session: AsyncSession, *, user: User, since: datetime, now: datetime,
                    limit: int) -> tuple[int, list[Post]]:
    """How many posts are new for ``user`` in (since, now], and the newest ``limit``."""
    stmt = select(Post).where(
        live_clause(now), Post.published_at > since, Post.published_at <= now,
        ~exists().where(Share.user_id == user.id, Share.post_id == Post.id))
    clause = visible_to(await followed_topic_ids(session, user.id))
    if clause is not None:
        stmt = stmt.where(clause)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    posts = list(await session.scalars(
        stmt.order_by(Post.published_at.desc(), Post.id.desc()).limit(limit)))
    return total, posts


def _recipients(period: str) -> Select[str]:
    """Users who may get this period's digest and have not been dealt with yet (a failed
    send is tried again)."""
    return select(User.id).where(
        User.deactivated_at.is_(None), User.reminders_opt_out.is_(False),
        ~exists().where(ReminderDigest.user_id == User.id, ReminderDigest.period == period,
                        ReminderDigest.status != claims.FAILED))


async def _claim(ctx: JobContext, user_id: str, *, period: str, now: datetime,
                 settings: ReminderSettings) -> Mail | str:
    """The user's digest, claimed for this period and ready to send; else why not."""
    async with ctx.db.transaction() as session:
        user = await session.get(User, user_id)
        if user is None or not user.active or user.reminders_opt_out:
            return "opted_out"
        since = await last_digest_end(session, user.id) or now - FIRST_WINDOW
        total, posts = await new_posts(session, user=user, since=since, now=now,
                                       limit=MAX_LISTED)
        if total < settings.min_new_posts:
            await claims.take(session, ReminderDigest, owner=user.id, period=period,
                              status=claims.SKIPPED, post_ids=[], window_end=now, now=now)
            return "skipped"
        base_url = ctx.settings.base_url
        mail = reminder_mail(
            to=user.email, name=user.name, language=user.language, total=total,
            base_url=base_url,
            posts=[DigestPost(id=p.id, title=p.title, summary=p.summary,
                              link=post_link(base_url, p.id)) for p in posts])
        if not await claims.take(session, ReminderDigest, owner=user.id, period=period,
                                 status=claims.SENDING, post_ids=[p.id for p in posts],
                                 window_end=now, now=now):
            return "taken"
    return mail  # the claim is committed: from here on this digest is never sent twice


async def _send_one(ctx: JobContext, user_id: str, *, period: str, now: datetime,
                    settings: ReminderSettings) -> str:
    claimed = await _claim(ctx, user_id, period=period, now=now, settings=settings)
    if isinstance(claimed, str):
        return claimed
    error: str | None = None
    try:
        await send_mail(ctx.settings, claimed)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.warning("reminder digest not sent", extra={"user_id": user_id, "error": error})
    async with ctx.db.transaction() as session:
        await claims.finish(session, ReminderDigest, owner=user_id, period=period,
                            error=error, now=utcnow())
    return "failed" if error else "sent"


async def send_reminders(ctx: JobContext) -> dict[str, object]:
    """``send_reminders``: hourly; acts on the digest weekdays from the digest hour on."""
    now = utcnow()
    async with ctx.db.transaction() as session:
        settings = await reminder_settings(session)
        await session.execute(delete(ReminderDigest).where(
            ReminderDigest.status == claims.SKIPPED,
            ReminderDigest.created_at < now - KEEP_SKIPPED))
    period = reminder_period(now, ctx.settings.tz, settings)
    if period is None:
        return {"due": False}
    counts: Counter[str] = Counter()
    after = ""
    while True:
        async with ctx.db.transaction() as session:
            batch = list(await session.scalars(
                _recipients(period).where(User.id > after)
                .order_by(User.id).limit(_BATCH)))
        for user_id in batch:
            counts[await _send_one(ctx, user_id, period=period, now=now, settings=settings)] += 1
        if len(batch) < _BATCH:
            break
        after = batch[-1]
    return {"period": period, **counts}
