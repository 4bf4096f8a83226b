"""The demo organisation's sharing policy: a disclosure on every share, a policy that every
advocate but the first has accepted (so a newcomer signing in as her sees it before her first
share), a daily cap and a few blocked words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.db import dialect_insert
from app.models import PolicyAcceptance, User
from app.sharing import policy

DISCLOSURE = "#KestrelEmployee"
POLICY = policy.Policy(version="2026-11", text=(
    "Share what you believe in, in your own words. Say that you work at Kestrel: the "
    "#KestrelEmployee tag is added for you. Never share customer names, prices under "
    "negotiation or anything marked confidential, and do not promise what is not in the "
    "post. Questions: social@kestrel.example."))
DAILY_SHARE_CAP = 10
BLOCKED_WORDS = ["confidential", "guaranteed returns", "ความลับ"]


async def add_sharing_policy(session: AsyncSession, *, people: Sequence[User],
                             newcomer: User, accepted_at: datetime) -> None:
    await policy.save_sharing_settings(session, policy.SharingSettings(
        disclosure=DISCLOSURE, policy=POLICY, daily_share_cap=DAILY_SHARE_CAP,
        blocked_words=BLOCKED_WORDS))
    rows = [{"user_id": u.id, "version": POLICY.version, "accepted_at": accepted_at}
            for u in people if u.id != newcomer.id]
    if rows:
        await session.execute(dialect_insert(session)(PolicyAcceptance).values(rows)
                              .on_conflict_do_nothing())
