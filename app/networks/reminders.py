"""``remind_connections``: a LinkedIn connection lasts 60 days and most members cannot have
it refreshed, so each member is told by email about a week before it ends, and again if
LinkedIn stops accepting it; once per token each (a new connection starts afresh).

The mail is sent before it is noted as sent: a failure to send is tried again the next day,
and a crash between the two sends it twice at worst, never not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import and_, delete, or_, select, update

from app.core.clock import utcnow
from app.core.mail import Mail, send_mail
from app.jobs.spec import JobContext
from app.models import User
from app.models.enums import Network
from app.models.networks import NetworkConnection, OAuthState
from app.networks import connections

log = logging.getLogger("chorus.networks")

NOTICE = timedelta(days=7)


@dataclass(frozen=True)
class Due:
    connection_id: str
    kind: str  # `expiring` or `reauth`
    email: str
    name: str
    ends_at: datetime | None


def _mail(due: Due, settings_url: str, tz: tzinfo) -> Mail:
    if due.kind == "expiring":
        local = due.ends_at.astimezone(tz) if due.ends_at else None
        when = f"{local.day} {local:%B %Y}" if local else "soon"
        subject = "Your LinkedIn connection to Chorus ends soon"
        lead = (f"Your LinkedIn connection ends on {when}. After that, the reactions, "
                "comments and impressions of your LinkedIn posts stop reaching Chorus.")
    else:
        subject = "Connect LinkedIn to Chorus again"
        lead = ("LinkedIn no longer accepts Chorus's access to your post statistics, so "
                "they stopped reaching Chorus.")
    text = (f"Hello {due.name},\n\n{lead}\n\nConnect LinkedIn again in your settings (it "
            f"takes a few seconds):\n{settings_url}\n")
    return Mail(to=due.email, subject=subject, text=text)


async def remind_connections(ctx: JobContext) -> dict[str, int]:
    """Sends the reminders due; also forgets connections started and never completed."""
    now = utcnow()
    async with ctx.db.transaction() as session:
        await session.execute(delete(OAuthState).where(OAuthState.expires_at <= now))
        # The deadline is the access token's, or the refresh token's when one is held.
        deadline = (NetworkConnection.refresh_token.is_(None)
                    & (NetworkConnection.expires_at > now)
                    & (NetworkConnection.expires_at <= now + NOTICE)) | (
            NetworkConnection.refresh_token.is_not(None)
            & (NetworkConnection.refresh_expires_at > now)
            & (NetworkConnection.refresh_expires_at <= now + NOTICE))
        rows = await session.execute(
            select(NetworkConnection, User.email, User.name)
            .join(User, User.id == NetworkConnection.user_id)
            .where(NetworkConnection.network == Network.linkedin,
                   User.deactivated_at.is_(None),
                   or_(and_(NetworkConnection.status == connections.CONNECTED, deadline,
                            NetworkConnection.expiry_notified_at.is_(None)),
                       and_(NetworkConnection.status == connections.NEEDS_REAUTH,
                            NetworkConnection.reauth_notified_at.is_(None)))))
        due = [Due(c.id, "expiring" if c.status == connections.CONNECTED else "reauth",
                   email, name,
                   c.refresh_expires_at if c.refresh_token is not None else c.expires_at)
               for c, email, name in rows]
    counts = {"expiring": 0, "reauth": 0, "failed": 0}
    settings_url = f"{ctx.settings.base_url}/app/settings"
    for item in due:
        try:
            await send_mail(ctx.settings, _mail(item, settings_url, ctx.settings.tz))
        except Exception:
            log.warning("a connection reminder could not be sent",
                        extra={"connection": item.connection_id}, exc_info=True)
            counts["failed"] += 1
            continue
        column = "expiry_notified_at" if item.kind == "expiring" else "reauth_notified_at"
        async with ctx.db.transaction() as session:
            await session.execute(update(NetworkConnection)
                                  .where(NetworkConnection.id == item.connection_id)
                                  .values({column: now}))
        counts[item.kind] += 1
    return counts
