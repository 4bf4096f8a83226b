"""``send_channel_digest`` (CONTRACT §9): the week's new posts to each Slack or Teams channel.

Once a week, on the first digest weekday from the digest hour on (``schedule``), each
registered channel gets one message listing the posts published in the last 7 days that are
still in the feed (not expired or archived), each linking into ``/app``. Each channel is
recorded once per ISO week before the message is posted (``app.digests.claims``); a failed
delivery is kept on the channel (``last_error``) and tried again by the next hourly run of
that day. The message is POSTed through the SSRF-safe fetcher, which checks the address
again at each delivery and follows no redirect.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import __version__
from app.content.service import live_clause
from app.core.clock import utcnow
from app.core.crypto import DecryptionFailed, cipher_for
from app.core.fetch import FetchError, fetch
from app.digests import claims
from app.digests.emails import DigestPost, post_link, short
from app.digests.payloads import Payload, slack_message, teams_message
from app.digests.schedule import channel_period, reminder_settings
from app.digests.schemas import ChannelKind
from app.jobs.spec import JobContext
from app.models import Post
from app.models.digests import Channel, ChannelDigest

log = logging.getLogger("chorus.digests")

WEEK = timedelta(days=7)
MAX_LISTED = 20
"""Posts in one message (Slack allows 50 blocks; a Teams card about 28 KB)."""
TIMEOUT = 10.0
_SUMMARY_CHARS = 200
_EXCERPT_CHARS = 200
USER_AGENT = f"Chorus/{__version__} (+channel digest)"


async def week_posts(session: AsyncSession, *, now: datetime, base_url: str
                     ) -> tuple[int, list[DigestPost]]:
    """How many posts were published in the week before ``now`` and are still in the
    feed, and the newest ``MAX_LISTED`` of them."""
    stmt = select(Post).where(live_clause(now), Post.published_at > now - WEEK,
                              Post.published_at <= now)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    posts = await session.scalars(
        stmt.order_by(Post.published_at.desc(), Post.id.desc()).limit(MAX_LISTED))
    return total, [DigestPost(id=p.id, title=p.title, summary=short(p.summary, _SUMMARY_CHARS),
                              link=post_link(base_url, p.id)) for p in posts]


def payload_for(kind: str, posts: list[DigestPost], *, total: int, app_url: str) -> Payload:
    build = slack_message if kind == ChannelKind.slack else teams_message
    return build(posts, total=total, app_url=app_url)


async def _claim(ctx: JobContext, channel_id: str, *, period: str, now: datetime, total: int,
                 posts: list[DigestPost]) -> tuple[str, bytes] | str:
    """The channel's URL and message, claimed for this week; else why not."""
    async with ctx.db.transaction() as session:
        channel = await session.get(Channel, channel_id)
        if channel is None:
            return "gone"
        if not posts:
            await claims.take(session, ChannelDigest, owner=channel.id, period=period,
                              status=claims.SKIPPED, post_ids=[], window_end=now, now=now)
            return "skipped"
        body = json.dumps(payload_for(channel.kind, posts, total=total,
                                      app_url=f"{ctx.settings.base_url}/app"),
                          ensure_ascii=False).encode()
        if not await claims.take(session, ChannelDigest, owner=channel.id, period=period,
                                 status=claims.SENDING, post_ids=[p.id for p in posts],
                                 window_end=now, now=now):
            return "taken"
        try:
            url = (await cipher_for(session, ctx.settings)).decrypt(channel.url_encrypted)
        except DecryptionFailed:
            url = ""
    return url, body


async def _post(ctx: JobContext, url: str, body: bytes) -> str | None:
    """Deliver ``body``; None on success, else why it failed."""
    if not url:
        return ("The webhook URL cannot be decrypted with the current secret keys; "
                "register the channel again.")
    try:
        answer = await fetch(url, method="POST", content=body, max_redirects=0,
                             headers={"Content-Type": "application/json; charset=utf-8"},
                             allow_private=ctx.settings.allow_private_webhooks,
                             timeout=TIMEOUT, max_bytes=64_000, truncate=True,
                             user_agent=USER_AGENT)
    except FetchError as exc:
        return exc.reason
    if 200 <= answer.status < 300:
        return None
    excerpt = " ".join(answer.body[:_EXCERPT_CHARS].decode("utf-8", "replace").split())
    return f"HTTP {answer.status}" + (f": {excerpt}" if excerpt else "")


async def _deliver(ctx: JobContext, channel_id: str, *, period: str, now: datetime,
                   total: int, posts: list[DigestPost]) -> str:
    claimed = await _claim(ctx, channel_id, period=period, now=now, total=total, posts=posts)
    if isinstance(claimed, str):
        return claimed
    error = await _post(ctx, *claimed)
    if error:
        log.warning("channel digest not delivered",
                    extra={"channel_id": channel_id, "error": error})
    async with ctx.db.transaction() as session:
        finished = utcnow()
        await claims.finish(session, ChannelDigest, owner=channel_id, period=period,
                            error=error, now=finished)
        channel = await session.get(Channel, channel_id)
        if channel is not None:
            channel.last_error = error
            if error is None:
                channel.last_sent_at = finished
    return "failed" if error else "sent"


async def send_channel_digest(ctx: JobContext) -> dict[str, object]:
    """``send_channel_digest``: hourly; acts once a week (see the module)."""
    now = utcnow()
    async with ctx.db.transaction() as session:
        settings = await reminder_settings(session)
    period = channel_period(now, ctx.settings.tz, settings)
    if period is None:
        return {"due": False}
    async with ctx.db.transaction() as session:
        total, posts = await week_posts(session, now=now, base_url=ctx.settings.base_url)
        channel_ids = list(await session.scalars(
            select(Channel.id).where(~exists().where(
                ChannelDigest.channel_id == Channel.id, ChannelDigest.period == period,
                ChannelDigest.status != claims.FAILED))
            .order_by(Channel.created_at, Channel.id)))
    counts: Counter[str] = Counter()
    for channel_id in channel_ids:
        counts[await _deliver(ctx, channel_id, period=period, now=now, total=total,
                              posts=posts)] += 1
    return {"period": period, **counts}
